internal import CGlibcExtras
import Glibc

/// A named, detached operating-system thread, for work that blocks in C (librdkafka calls, sleeps between
/// polls) and so must not run on Swift's cooperative pool. Plain pthreads keep the binary free of
/// Foundation (whose `Thread` would link it, with ICU's data, into the shipped binary).
public enum OSThread {
    /// The closure and name handed to the new thread; the thread takes the only reference.
    private final class Start {
        let name: String
        let body: () -> Void

        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// The new thread's entry point: takes the retained ``Start`` and runs it.
    private static let entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { context in
        // The pointer is the retained Start passed to pthread_create, which never calls this with nil.
        let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
        _ = CGlibcExtras_set_thread_name(start.name)
        start.body()
        return nil
    }

    /// Creates a thread running `body`; `nil` when the system refuses one (EAGAIN: the thread limit).
    private static func create(name: String, _ body: @escaping () -> Void) -> pthread_t? {
        let start = Unmanaged.passRetained(Start(name: name, body: body))
        var thread = pthread_t()
        guard pthread_create(&thread, nil, entry, start.toOpaque()) == 0 else {
            start.release()
            return nil
        }
        return thread
    }

    /// Starts `body` on a new thread named `name` (Linux keeps the first 15 bytes, shown by `top -H`).
    /// Nothing joins it: the thread ends when `body` returns. `body` is `sending`: what it captures moves to
    /// the new thread, and the compiler checks that the caller keeps no other reference to it.
    public static func detach(name: String, _ body: sending @escaping () -> Void) {
        // Failing to start a thread leaves the daemon without a loop it needs; there is no useful way to go on.
        guard let thread = create(name: name, body) else { preconditionFailure("cannot start thread \(name)") }
        pthread_detach(thread)
    }

    /// Runs every job at once, each on its own thread named `name`, and returns when all have ended: no
    /// thread outlives the call, so nothing a job captured (a Kafka handle, say) is released after it.
    /// A job the system gives no thread runs on the calling thread instead.
    public static func runAll(name: String, _ jobs: [@Sendable () -> Void]) {
        var threads: [pthread_t] = []
        for job in jobs {
            if let thread = create(name: name, job) { threads.append(thread) } else { job() }
        }
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Blocks the calling thread for `seconds`.
    public static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
