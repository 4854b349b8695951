// The EmbedWebPage build-tool plugin: the page at `/` is plain files (Sources/WebPage/Files: HTML,
// CSS, JavaScript) that people edit as such; at build time this writes them into
// `EmbeddedWebFiles.swift` as raw string literals, so the binary carries its page and serves it from
// memory, wherever it is installed (no resource bundle to ship beside it, nothing read from disk).
//
// A build command with the files as declared inputs: SwiftPM reruns it when one changes, and never
// otherwise. It runs the system shell (no tool built from source, so no extra compile on a fresh
// clone). Each file becomes `"name": #####"""…"""#####`; a file holding the delimiter `"#####` or
// `\#####` could end or escape the literal, so the script refuses it and the build fails naming it.

import Foundation
import PackagePlugin

@main
struct EmbedWebPagePlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let directory = target.directoryURL.appending(path: "Files")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { !$0.hasPrefix(".") }.sorted()
        let inputs = names.map { directory.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedWebFiles.swift")
        return [
            .buildCommand(
                displayName: "EmbedWebPage: \(names.joined(separator: ", ")) into \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", Self.script, "embed-web-page", output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]),
        ]
    }

    /// `$1` the Swift file to write, then the files to embed.
    static let script = ######"""
        set -eu
        PATH="/usr/local/bin:/usr/bin:/bin:${PATH:-}"
        output=$1; shift
        temporary="$output.$$"
        {
            echo '// Written by the EmbedWebPage plugin (Plugins/EmbedWebPage) from Sources/WebPage/Files: do not edit.'
            echo 'enum EmbeddedWebFiles {'
            echo '    /// Each file of the page by name, its text as written.'
            echo '    static let texts: [String: String] = ['
            for file in "$@"; do
                if grep -qF -e '"#####' -e '\#####' "$file"; then
                    echo "EmbedWebPage: $file holds \"##### or \\#####, which would end its Swift literal" >&2
                    exit 1
                fi
                printf '        "%s": #####"""\n' "$(basename "$file")"
                cat "$file"
                [ -z "$(tail -c 1 "$file")" ] || echo
                printf '"""#####,\n'
            done
            echo '    ]'
            echo '}'
        } > "$temporary"
        mv -f "$temporary" "$output"
        """######
}
