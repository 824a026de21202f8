internal import CGlibcExtras
import LagwatchThreads
import Synchronization

/// The threads that build the answers too slow for the server thread (password checks, pages, JSON), fed
/// from a bounded queue: past ``capacity`` waiting jobs a submission is refused and the caller answers 503
/// at once, so a flood costs memory in proportion to the queue, not to the flood.
///
/// The threads run at nice 10: on a busy machine the server thread, which hands out the prebuilt
/// `/metrics`, is scheduled before them. Nothing joins them: ``stop()`` drops the waiting jobs and wakes the
/// threads, each of which ends after the job it is running, so stopping never waits for a password check.
final class WorkerPool: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }
    private let state = Mutex(State())
    private let ready = CountingSemaphore()
    private let threads: Int
    /// Jobs that may wait at once.
    let capacity: Int

    /// Starts `threads` threads named `name`.
    init(threads: Int, capacity: Int, name: String) {
        self.threads = threads
        self.capacity = capacity
        for _ in 0..<threads {
            OSThread.detach(name: name) { [self] in
                _ = CGlibcExtras_set_thread_nice(10)
                while let job = next() { job() }
            }
        }
    }

    /// Queues `job`; false when the queue is full or the pool stopped (the job will not run).
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let queued = state.withLock { state in
            guard !state.stopped, state.jobs.count < capacity else { return false }
            state.jobs.append(job)
            return true
        }
        if queued { ready.signal() }
        return queued
    }

    /// Drops the waiting jobs and lets every thread end after its current job. Idempotent.
    func stop() {
        let wasRunning = state.withLock { state in
            defer { state.stopped = true; state.jobs = [] }
            return !state.stopped
        }
        if wasRunning { for _ in 0..<threads { ready.signal() } }
    }

    /// The next job, waiting for one; nil once the pool is stopped.
    private func next() -> (@Sendable () -> Void)? {
        while true {
            ready.wait()
            let job: (@Sendable () -> Void)?? = state.withLock { state in
                if state.stopped { return .some(nil) }
                return state.jobs.isEmpty ? nil : state.jobs.removeFirst()
            }
            if let job { return job }
        }
    }
}
