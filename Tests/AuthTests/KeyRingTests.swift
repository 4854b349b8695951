import Codecs
import Foundation
import Testing
@testable import Auth

/// The key file: its format, its permissions, and reloading it (SIGHUP in the daemon) while a
/// verifier keeps using it — including a token replayed after its key was rotated out.
@Suite struct KeyRingTests {
    @Test func readsKeysCommentsAndBlankLines() throws {
        let text = """
            # quotecast keys: KID SECRET (base64url, >= 32 bytes)

            2026-01 \(Base64URL.encode(Fixture.secret))   # the current key
            \t2025-12\t\(Base64URL.encode(Fixture.otherSecret))==\r
              # indented comment
            """
        let ring = try KeyRing(parsing: text)
        #expect(ring.keyIDs == ["2026-01", "2025-12"])
        #expect(ring.key(id: "2025-12")?.secretLength == 40)
        #expect(ring.key(id: "nope") == nil)
    }

    @Test(arguments: [
        ("k1", "line 1: expected 'KID SECRET', found 1 field"),
        ("k1 \(Base64URL.encode(Fixture.secret)) extra", "line 1: expected 'KID SECRET', found 3 fields"),
        ("k1 not*base64", "line 1: the secret of key \"k1\" is not base64url"),
        ("k1 \(Base64URL.encode(Array(Fixture.secret.prefix(31))))", "line 1: the secret of key \"k1\" is 31 bytes; at least 32 are needed"),
        ("k1 \(Base64URL.encode(Fixture.secret))\n\nk1 \(Base64URL.encode(Fixture.otherSecret))", "line 3: key id \"k1\" appears twice"),
        ("# nothing\n\n", "no keys (one 'KID SECRET' line per key)"),
        ("k\u{7F} \(Base64URL.encode(Fixture.secret))", "line 1: key \"k?\": key id \"k?\" must be printable ASCII without spaces or '#'"),
        ("\(String(repeating: "k", count: 65)) \(Base64URL.encode(Fixture.secret))", "a key id is 1 to 64 characters"),
    ])
    func badFilesSayWhatIsWrongWhere(text: String, message: String) {
        #expect(throws: KeyFileError.self) { try KeyRing(parsing: text) }
        do {
            _ = try KeyRing(parsing: text)
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func aFileOthersCanReadIsRefusedNamingItsMode() throws {
        let dir = try Fixture.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("keys")
        let text = Fixture.keyLine("2026-01", Fixture.secret) + "\n"
        for (mode, shown) in [(0o644, "0644"), (0o640, "0640"), (0o604, "0604"), (0o620, "0620")] {
            try Fixture.write(text, to: file, mode: mode)
            do {
                _ = try KeyFile.load(path: file.path)
                Issue.record("mode \(shown) was accepted")
            } catch {
                #expect(error == .tooOpen(path: file.path, mode: UInt32(0o100000 | mode)))
                #expect("\(error)".contains("(mode \(shown))") && "\(error)".contains("chmod 600 \(file.path)"), "\(error)")
            }
        }
        for mode in [0o600, 0o400] {
            try Fixture.write(text, to: file, mode: mode)
            #expect(try KeyFile.load(path: file.path).keyIDs == ["2026-01"])
        }
        #expect(throws: KeyFileError.notARegularFile(path: dir.path)) { try KeyFile.load(path: dir.path) }
        #expect(throws: KeyFileError.unreadable(path: dir.path + "/none", reason: "No such file or directory")) {
            try KeyFile.load(path: dir.path + "/none")
        }
        try Fixture.write("k1 short\n", to: file)
        do {
            _ = try KeyFile.load(path: file.path)
        } catch {
            #expect("\(error)".hasPrefix("key file \(file.path): line 1: "), "\(error)")
        }
    }

    @Test func rotatingKeysRefusesAReplayedTokenAndKeepsConnectionsVerifying() throws {
        let dir = try Fixture.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("keys")
        let newSecret: [UInt8] = Array(200..<240)
        try Fixture.write(Fixture.keyLine("2026-01", Fixture.secret), to: file)
        let source = try ReloadableKeyRing(path: file.path)
        let verifier = TokenVerifier(reloading: source)
        let oldToken = Fixture.mint(Fixture.claims())
        #expect((try? verifier.checked(oldToken, now: Fixture.now).get()) != nil)

        // Rotation step 1: add the new key next to the old one; both verify.
        try Fixture.write(Fixture.keyLine("2026-01", Fixture.secret) + "\n" + Fixture.keyLine("2026-02", newSecret), to: file)
        #expect((try? source.reload().get())?.keyIDs == ["2026-01", "2026-02"])
        let newRing = Fixture.ring([("2026-02", newSecret)])
        let newToken = Fixture.mint(Fixture.claims(), kid: "2026-02", ring: newRing)
        #expect((try? verifier.checked(oldToken, now: Fixture.now).get()) != nil)
        #expect((try? verifier.checked(newToken, now: Fixture.now).get()) != nil)

        // Step 2: drop the old key. The old token, replayed, is refused; the new one still passes.
        try Fixture.write(Fixture.keyLine("2026-02", newSecret), to: file)
        #expect(source.reload().map(\.keyIDs) == .success(["2026-02"]))
        #expect(verifier.checked(oldToken, now: Fixture.now).reason == .unknownKey)
        #expect((try? verifier.checked(newToken, now: Fixture.now).get()) != nil)

        // A bad file (here: readable by others) keeps the keys in force, and says why.
        try Fixture.write(Fixture.keyLine("2026-03", newSecret), to: file, mode: 0o644)
        guard case .failure(.tooOpen) = source.reload() else { Issue.record("a 0644 file was reloaded"); return }
        #expect((try? verifier.checked(newToken, now: Fixture.now).get()) != nil)
        #expect(source.reloads == 2 && source.failedReloads == 1)
    }

    @Test func verifyingWhileAnotherThreadReloadsSeesOneWholeRingAtATime() throws {
        let dir = try Fixture.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("keys")
        // Two files that both hold key A (with different companions): every token of A verifies
        // under either, so any refusal means a verifier saw a ring half swapped.
        let a = Fixture.keyLine("A", Fixture.secret)
        let files = [a + "\n" + Fixture.keyLine("B", Fixture.otherSecret), Fixture.keyLine("C", Fixture.otherSecret) + "\n" + a]
        try Fixture.write(files[0], to: file)
        let source = try ReloadableKeyRing(path: file.path)
        let token = Fixture.mint(Fixture.claims(), kid: "A", ring: Fixture.ring([("A", Fixture.secret)]))
        let reloader = Thread {
            for i in 0..<200 {
                try? Fixture.write(files[i % 2], to: file)
                _ = source.reload()
            }
        }
        reloader.start()
        var verifier = TokenVerifier(reloading: source)
        var refusals = 0
        var checks = 0
        let deadline = Date().addingTimeInterval(60)
        while source.reloads + source.failedReloads < 200 && Date() < deadline {
            if case .failure = verifier.verify(token, now: Fixture.now) { refusals += 1 }
            checks += 1
        }
        #expect(source.reloads == 200 && source.failedReloads == 0)
        #expect(refusals == 0, "\(refusals) of \(checks) verifications failed during reloads")
        #expect(verifier.keys.keyIDs == ["C", "A"] || verifier.keys.keyIDs == ["A", "B"])
    }
}
