import LagwatchKafka
import LagwatchThreads
import LagwatchTestSupport
import Synchronization
import Testing

/// Something the jobs capture, as the watermark jobs capture the Kafka handle.
private final class Captured: Sendable {}

@Suite struct OSThreadTests {
    @Test func runAllReturnsOnlyWhenNoJobThreadHoldsWhatItCaptured() {
        var captured = Captured()
        let finished = Mutex(0)
        let jobs: [@Sendable () -> Void] = (0..<4).map { _ in
            { [captured] in
                _ = captured
                OSThread.sleep(seconds: 0.05)
                finished.withLock { $0 += 1 }
            }
        }
        OSThread.runAll(name: "test-runall", jobs)
        #expect(finished.withLock { $0 } == 4)
        // The jobs are gone with their threads: only the array of closures here still refers to it.
        _ = consume jobs
        #expect(isKnownUniquelyReferenced(&captured))
        // A joined thread may stay listed in /proc for a moment while the kernel reaps it.
        #expect(eventually(within: 5) { !processThreadNames().contains("test-runall") })
    }
}
