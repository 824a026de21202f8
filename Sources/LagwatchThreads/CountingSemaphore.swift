import Glibc

/// A POSIX counting semaphore: ``signal()`` adds one, ``wait()`` blocks until it can take one.
///
/// `@unchecked Sendable`: the one `sem_t` lives at a fixed address for the object's whole life and is only
/// touched through `sem_post`/`sem_wait`, which are safe from any thread; `deinit` runs when no thread holds
/// the object, so none can be waiting on it.
public final class CountingSemaphore: @unchecked Sendable {
    private let semaphore: UnsafeMutablePointer<sem_t>

    /// Creates a semaphore holding `count`.
    public init(count: UInt32 = 0) {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, count)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    /// Adds one, waking a waiting thread if there is one.
    public func signal() { sem_post(semaphore) }

    /// Blocks until one can be taken, then takes it.
    public func wait() {
        while sem_wait(semaphore) != 0, errno == EINTR {}
    }
}
