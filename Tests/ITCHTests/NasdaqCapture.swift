import Foundation
import Testing

/// The real Nasdaq TotalView-ITCH capture in the workplace's shared fixtures
/// (`../shared/fixtures/nasdaq`, see its README). It is not part of the repository: tests that read it
/// are skipped, visibly, where it is absent (a fresh clone). CI runs with `QUOTECAST_REQUIRE_FIXTURES=1`
/// when it has the workplace's files, and then a capture that cannot be found fails the run instead of
/// silently skipping every test that uses it.
enum NasdaqCapture {
    /// The repository root (this file is `Tests/ITCHTests/NasdaqCapture.swift`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// 1000 messages from 09:30:00 on 2019-12-30, in the day-file format.
    static let path = root.deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/nasdaq/12302019_SNIPPET.NASDAQ_ITCH50").path
    /// Whether the capture is there to read.
    static var isPresent: Bool { FileManager.default.isReadableFile(atPath: path) }
    /// Whether the run was told the capture must be there (`QUOTECAST_REQUIRE_FIXTURES=1`).
    static var isRequired: Bool { ProcessInfo.processInfo.environment["QUOTECAST_REQUIRE_FIXTURES"] == "1" }
}

@Suite struct NasdaqCaptureTests {
    @Test(.enabled(if: NasdaqCapture.isRequired, "QUOTECAST_REQUIRE_FIXTURES is not 1"))
    func theCaptureThisRunWasPromisedIsThere() {
        #expect(NasdaqCapture.isPresent,
                "QUOTECAST_REQUIRE_FIXTURES=1 but \(NasdaqCapture.path) is missing: the tests that read it were skipped")
    }
}
