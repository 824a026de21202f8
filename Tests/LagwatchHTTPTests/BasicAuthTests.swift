import Foundation
import LagwatchHTTP
import LagwatchTestSupport
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

    @Test func anAddressThatKeepsFailingIsThrottledWithoutAPasswordCheckAndOthersAreNot() {
        let clock = ManualClock(100)
        let authenticator = BasicAuthenticator(users: ["prometheus": Self.hash], now: { clock.now })
        // Prometheus logs in once from its own address: remembered from then on.
        #expect(authenticator.check(authorization: header("prometheus:s3cret-Pa55"), client: "10.0.0.9") == .accepted)
        for _ in 0..<BasicAuthenticator.failureBudget {
            #expect(authenticator.check(authorization: header("prometheus:guess"), client: "10.0.0.66") == .rejected)
        }
        #expect(authenticator.check(authorization: header("prometheus:guess"), client: "10.0.0.66") == .throttled)
        // Even the right password, not yet remembered, waits out the window from that address…
        let other = BasicAuthenticator(users: ["prometheus": Self.hash], now: { clock.now })
        for _ in 0..<BasicAuthenticator.failureBudget { _ = other.check(authorization: header("x:y"), client: "10.0.0.66") }
        #expect(other.check(authorization: header("prometheus:s3cret-Pa55"), client: "10.0.0.66") == .throttled)
        // …while a remembered login is accepted from anywhere, and other addresses are not affected.
        #expect(authenticator.check(authorization: header("prometheus:s3cret-Pa55"), client: "10.0.0.66") == .accepted)
        #expect(authenticator.check(authorization: header("prometheus:guess"), client: "10.0.0.7") == .rejected)
        // The window ends: the address may try again.
        clock.set(100 + BasicAuthenticator.failureWindowSeconds)
        #expect(authenticator.check(authorization: header("prometheus:guess"), client: "10.0.0.66") == .rejected)
        #expect(other.check(authorization: header("prometheus:s3cret-Pa55"), client: "10.0.0.66") == .accepted)
    }

    @Test func onlyUnrememberedCredentialsNeedABcryptCheckAndItStopsAtTheBudget() {
        func needsHash(_ look: BasicAuthenticator.FirstLook) -> BasicAuthenticator.PendingCheck? {
            if case .needsHash(let pending) = look { return pending }
            return nil
        }
        let clock = ManualClock(100)
        let authenticator = BasicAuthenticator(users: ["prometheus": Self.hash], now: { clock.now })
        let right = header("prometheus:s3cret-Pa55")
        let first = needsHash(authenticator.firstLook(authorization: right, client: "10.0.0.9"))
        #expect(first != nil, "the first login needs bcrypt")
        #expect(authenticator.verify(first!) == .accepted)
        if case .decided(.accepted) = authenticator.firstLook(authorization: right, client: "10.0.0.9") {} else {
            Issue.record("a remembered login is decided without bcrypt")
        }
        if case .decided(.rejected) = authenticator.firstLook(authorization: nil, client: "10.0.0.9") {} else {
            Issue.record("no credentials is decided without bcrypt")
        }
        // Checks queued from one address before any failed: those past the budget are not made.
        let queued = (0..<(BasicAuthenticator.failureBudget + 3)).compactMap {
            needsHash(authenticator.firstLook(authorization: header("prometheus:guess\($0)"), client: "10.0.0.66"))
        }
        #expect(queued.count == BasicAuthenticator.failureBudget + 3)
        let verdicts = queued.map { authenticator.verify($0) }
        #expect(verdicts.filter { $0 == .rejected }.count == BasicAuthenticator.failureBudget)
        #expect(verdicts.filter { $0 == .throttled }.count == 3)
    }
}
