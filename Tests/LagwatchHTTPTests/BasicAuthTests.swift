import Foundation
import LagwatchHTTP
import Testing

@Suite struct BasicAuthTests {
    /// bcrypt (cost 4, to keep the test fast) of "s3cret-Pa55".
    static let hash = "$2b$04$AYT6Gm5Nfa7PSwlLiYDYfOxV/IX/9ia046WqovKMsT.aqgyHI5Uu6"
    let authenticator = BasicAuthenticator(users: ["prometheus": hash])

    func header(_ credentials: String) -> String {
        "Basic " + Data(credentials.utf8).base64EncodedString()
    }

    @Test func theRightPasswordIsAcceptedAndAWrongOneIsNot() {
        #expect(authenticator.accepts(authorization: header("prometheus:s3cret-Pa55")))
        #expect(!authenticator.accepts(authorization: header("prometheus:s3cret-Pa56")))
        #expect(!authenticator.accepts(authorization: header("nobody:s3cret-Pa55")))
        #expect(!authenticator.accepts(authorization: nil))
    }

    @Test func credentialsWithANulByteAreRefused() {
        // crypt() reads a C string: everything after a NUL would be ignored, and the password accepted.
        #expect(!authenticator.accepts(authorization: header("prometheus:s3cret-Pa55\u{0}junk")))
        #expect(!authenticator.accepts(authorization: header("prometheus\u{0}x:s3cret-Pa55")))
    }
}
