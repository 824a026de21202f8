import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark polls and scrapes on a mock cluster.")

    func run() throws {
        throw ValidationError("not built yet")
    }
}
