// The BuildStamp build-tool plugin: at every build of the target that uses it, writes
// `BuildStamp.swift` (the git commit the sources come from, whether the tree had uncommitted changes,
// and the Swift compiler's version line) into the plugin's work directory, where SwiftPM compiles it
// with the target. `quotecast --version` prints it (docs/operations.md).
//
// A prebuild command, so it runs on every `swift build` / `swift test` and sees a new commit without
// declared inputs; it runs a system shell (prebuild commands may not run tools built from source) and
// rewrites the file only when its content changes, so an unchanged tree recompiles nothing. Without
// git, or outside a repository (a source tarball: no `.git` in the package directory), the commit is
// "unknown".

import Foundation
import PackagePlugin

@main
struct BuildStampPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let outputDirectory = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let output = outputDirectory.appending(path: "BuildStamp.swift")
        // The compiler that builds the package; its first `--version` line names the release.
        let compiler = (try? context.tool(named: "swiftc").url.path) ?? "swiftc"
        return [
            .prebuildCommand(
                displayName: "BuildStamp: git commit and compiler version for \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", Self.script, "build-stamp", context.package.directoryURL.path, outputDirectory.path,
                            output.path, compiler],
                outputFilesDirectory: outputDirectory),
        ]
    }

    /// `$1` the package directory, `$2` the output directory, `$3` the file, `$4` the compiler.
    /// Every value goes into a Swift string literal, so only characters that need no escaping pass.
    static let script = #"""
        set -u
        PATH="/usr/local/bin:/usr/bin:/bin:${PATH:-}"
        commit=unknown
        modified=false
        if [ -e "$1/.git" ] && command -v git >/dev/null 2>&1; then
            if found=$(git -C "$1" rev-parse HEAD 2>/dev/null); then
                commit=$found
                if [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then modified=true; fi
            fi
        fi
        compiler=$("$4" --version 2>/dev/null | head -n 1 | tr -cd 'A-Za-z0-9 ._()+-')
        [ -n "$compiler" ] || compiler=unknown
        mkdir -p "$2"
        temporary="$3.$$"
        cat > "$temporary" <<EOF
        // Written by the BuildStamp plugin (Plugins/BuildStamp) at every build: do not edit.
        enum BuildStamp {
            /// The git commit the sources were built from, or "unknown" (no git, no repository).
            static let commit = "$commit"
            /// Whether tracked files differed from that commit.
            static let modified = $modified
            /// The compiler's version line.
            static let compiler = "$compiler"
        }
        EOF
        if cmp -s "$temporary" "$3"; then rm -f "$temporary"; else mv -f "$temporary" "$3"; fi
        """#
}
