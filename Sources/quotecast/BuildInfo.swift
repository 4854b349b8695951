/// What `quotecast --version` (and `quotecast version`) prints: the version, the git commit, the
/// Swift compiler and the build configuration.
enum BuildInfo {
    /// The release's version, a constant bumped by hand in this file when a release is cut
    /// (docs/operations.md says when); the commit below tells builds between releases apart.
    static let version = "0.16.0"

    /// `debug` or `release` (SwiftPM defines DEBUG in debug builds).
    static var configuration: String {
        #if DEBUG
        "debug"
        #else
        "release"
        #endif
    }

    /// The commit, with `-modified` when the tree had uncommitted changes to tracked files.
    static var commit: String { BuildStamp.commit + (BuildStamp.modified ? "-modified" : "") }

    /// The lines printed: `quotecast 0.16.0`, then `commit`, `swift`, `build`.
    static var text: String {
        """
        quotecast \(version)
        commit: \(commit)
        swift: \(BuildStamp.compiler)
        build: \(configuration)

        """
    }
}
