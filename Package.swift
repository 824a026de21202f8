// swift-tools-version:6.0
import Foundation
import PackageDescription

// The version lives in one place, the VERSION file beside this manifest; the C target CBuildInfo carries it
// into the binary (release builds also give the git revision; see Sources/CBuildInfo/build_info.c).
let packageVersion: String = {
    let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("VERSION")
    let text = (try? String(contentsOf: file, encoding: .utf8)) ?? "0.0.0"
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}()

// Strictness applied to every Swift target (the swift-log pattern): any-existentials spelled out, and
// imports internal unless a module re-exports a type on purpose, which keeps C types out of public API.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "lagwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lagwatch", targets: ["lagwatch"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: - C libraries from Debian
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CGlibcExtras"),
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CYaml", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "CBuildInfo", cSettings: [.define("LAGWATCH_PACKAGE_VERSION", to: "\"\(packageVersion)\"")]),

        // Named pthreads, for work that blocks in C: the poll loops, librdkafka calls, the HTTP workers.
        .target(name: "LagwatchThreads", dependencies: ["CGlibcExtras"], swiftSettings: strictSettings),

        // MARK: - The steps of one poll
        .target(name: "LagwatchModel", swiftSettings: strictSettings),
        .target(
            name: "LagwatchKafka",
            dependencies: ["CRdKafka", "LagwatchThreads", "LagwatchModel", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Kafka traffic of its own (librdkafka's mock cluster, producers, committers): not part of a poll, but
        // the binary needs it for `lagwatch demo` and `lagwatch bench`, and the tests for their workloads.
        .target(
            name: "LagwatchWorkload",
            dependencies: ["CRdKafka", "LagwatchKafka", "LagwatchModel", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(name: "LagwatchExposition", dependencies: ["LagwatchModel"], swiftSettings: strictSettings),
        .target(name: "LagwatchHTTP", dependencies: ["CMicroHTTPD", "CZlib", "CCrypt", "CGlibcExtras", "LagwatchThreads"], swiftSettings: strictSettings),
        .target(
            name: "LagwatchConfig",
            dependencies: ["LagwatchModel", "CYaml"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "LagwatchDaemon",
            dependencies: [
                "LagwatchModel", "LagwatchKafka", "LagwatchWorkload", "LagwatchExposition", "LagwatchHTTP", "LagwatchConfig",
                "LagwatchThreads", "CGlibcExtras", "CBuildInfo",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "lagwatch",
            dependencies: [
                "LagwatchDaemon", "LagwatchConfig", "LagwatchKafka", "LagwatchWorkload", "LagwatchHTTP", "LagwatchThreads",
                "LagwatchModel", "LagwatchExposition", "CGlibcExtras",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Tests
        .target(
            name: "LagwatchTestSupport",
            dependencies: ["LagwatchModel", "LagwatchKafka", "LagwatchWorkload", "LagwatchHTTP", "LagwatchThreads", "CZlib",
                           .product(name: "Logging", package: "swift-log")],
            path: "Tests/LagwatchTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LagwatchModelTests", dependencies: ["LagwatchModel"], swiftSettings: strictSettings),
        .testTarget(
            name: "LagwatchExpositionTests",
            dependencies: ["LagwatchExposition", "LagwatchModel", "LagwatchTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LagwatchConfigTests", dependencies: ["LagwatchConfig", "LagwatchTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "LagwatchHTTPTests",
            dependencies: ["LagwatchHTTP", "LagwatchThreads", "LagwatchTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LagwatchKafkaTests",
            dependencies: ["LagwatchKafka", "LagwatchWorkload", "LagwatchModel", "LagwatchThreads", "LagwatchTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LagwatchDaemonTests",
            dependencies: ["LagwatchDaemon", "LagwatchKafka", "LagwatchWorkload", "LagwatchConfig", "LagwatchModel",
                           "LagwatchHTTP", "LagwatchThreads", "LagwatchTestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
