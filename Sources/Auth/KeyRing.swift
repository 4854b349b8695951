import Codecs

/// One named HMAC key of the key file, ready to sign and verify (the HMAC's padded key is absorbed
/// once, here).
public struct SigningKey: Sendable {
    /// The key id tokens name in their `kid` header.
    public let id: String
    /// The secret's length in bytes (the secret itself is not kept in the clear).
    public let secretLength: Int
    let mac: HMACSHA256

    init(id: String, secret: [UInt8]) {
        self.id = id
        secretLength = secret.count
        mac = HMACSHA256(key: secret)
    }
}

/// The set of named keys tokens may be signed with: the key file's contents, parsed and checked.
/// A value: a reload builds a new one and swaps it in whole (`ReloadableKeyRing`).
///
/// File format, one key per line: `KID SECRET`, separated by spaces or tabs. KID is 1 to 64
/// printable ASCII characters without `#`; SECRET is base64url (RFC 4648 §5; `=` padding allowed)
/// of at least 32 bytes. A `#` at the start of a line or of a field starts a comment; blank lines
/// are ignored. Key ids must be unique; the file must hold at least one key.
public struct KeyRing: Sendable {
    /// The shortest secret accepted, bytes (HMAC-SHA-256's output size, RFC 7518 §3.2).
    public static let minimumSecretBytes = 32
    /// The longest secret accepted, bytes.
    public static let maximumSecretBytes = 1024
    /// The longest key id.
    public static let maximumKeyIDLength = 64

    private let keys: [String: SigningKey]
    /// The key ids, in file order.
    public let keyIDs: [String]

    /// The keys in a key file's `text`.
    public init(parsing text: String) throws(KeyFileError) {
        var entries: [(id: String, secret: [UInt8])] = []
        var lineNumber = 0
        // Bytes, not Characters: "\r\n" is one Character, and a file edited on Windows must read the same.
        for rawLine in Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var fields: [ArraySlice<UInt8>] = []
            for field in rawLine.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
                if field.first == UInt8(ascii: "#") { break }
                fields.append(field)
            }
            if fields.isEmpty { continue }
            guard fields.count == 2 else {
                throw .atLine(lineNumber, .badLine("expected 'KID SECRET', found \(fields.count) field\(fields.count == 1 ? "" : "s")"))
            }
            let id = String(decoding: fields[0], as: UTF8.self)
            var secretText = Array(fields[1])
            while secretText.last == UInt8(ascii: "=") { secretText.removeLast() }
            guard let secret = Base64URL.decode(secretText) else {
                throw .atLine(lineNumber, .badLine("the secret of key \(TokenRefusal.quoted(id)) is not base64url"))
            }
            if let problem = KeyRing.problem(id: id, secret: secret, earlier: entries) { throw .atLine(lineNumber, problem) }
            entries.append((id, secret))
        }
        try self.init(secrets: entries)
    }

    /// A ring of `secrets` (key id, secret bytes), under the same rules as the file.
    public init(secrets: [(id: String, secret: [UInt8])]) throws(KeyFileError) {
        var keys: [String: SigningKey] = [:]
        for (i, entry) in secrets.enumerated() {
            if let problem = KeyRing.problem(id: entry.id, secret: entry.secret, earlier: secrets[..<i]) { throw problem }
            keys[entry.id] = SigningKey(id: entry.id, secret: entry.secret)
        }
        guard !secrets.isEmpty else { throw .noKeys }
        self.keys = keys
        keyIDs = secrets.map(\.id)
    }

    /// What is wrong with key `id` of `secret` after the `earlier` ones, or nil.
    private static func problem<Earlier: Collection>(id: String, secret: [UInt8], earlier: Earlier) -> KeyFileError?
    where Earlier.Element == (id: String, secret: [UInt8]) {
        if let problem = keyIDProblem(id) { return .badKeyID(kid: id, problem: problem) }
        if earlier.contains(where: { $0.id == id }) { return .duplicateKeyID(kid: id) }
        if secret.count < minimumSecretBytes { return .shortSecret(kid: id, bytes: secret.count) }
        if secret.count > maximumSecretBytes { return .longSecret(kid: id, bytes: secret.count) }
        return nil
    }

    /// The key called `id`.
    public func key(id: String) -> SigningKey? { keys[id] }

    /// Why `id` cannot be a key id, or nil when it can.
    static func keyIDProblem(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= maximumKeyIDLength else {
            return "a key id is 1 to \(maximumKeyIDLength) characters"
        }
        guard id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") }) else {
            return "key id \(TokenRefusal.quoted(id)) must be printable ASCII without spaces or '#'"
        }
        return nil
    }
}

/// Why a key file (or ring) was refused. Each case reads as one line naming what to fix.
public enum KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// It could not be opened or read.
    case unreadable(path: String, reason: String)
    /// Group or others have access to it.
    case tooOpen(path: String, mode: UInt32)
    /// It is a directory, a device…
    case notARegularFile(path: String)
    /// It is larger than any key file should be.
    case tooLarge(path: String, bytes: Int)
    /// A line is not `KID SECRET` with a base64url secret.
    case badLine(String)
    /// A key id breaks the rules.
    case badKeyID(kid: String, problem: String)
    /// Two keys share an id.
    case duplicateKeyID(kid: String)
    /// A secret is shorter than 32 bytes.
    case shortSecret(kid: String, bytes: Int)
    /// A secret is longer than 1 KiB.
    case longSecret(kid: String, bytes: Int)
    /// There is no key at all.
    case noKeys
    /// A problem on line N of the file.
    indirect case atLine(Int, KeyFileError)
    /// A problem with the contents of the file at `path`.
    indirect case inFile(path: String, KeyFileError)

    /// One line naming the problem and the fix.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read key file \(path): \(reason)"
        case .tooOpen(let path, let mode):
            "key file \(path) is \(mode & 0o044 != 0 ? "readable" : "accessible") by group or others (mode "
                + "\(String(mode & 0o777, radix: 8).leftPadded(4))); it holds secrets: chmod 600 \(path)"
        case .notARegularFile(let path): "key file \(path) is not a regular file"
        case .tooLarge(let path, let bytes): "key file \(path) is \(bytes) bytes; a key file is at most \(KeyFile.maximumBytes)"
        case .badLine(let problem): problem
        case .badKeyID(let kid, let problem): "key \(TokenRefusal.quoted(kid)): \(problem)"
        case .duplicateKeyID(let kid): "key id \(TokenRefusal.quoted(kid)) appears twice"
        case .shortSecret(let kid, let bytes):
            "the secret of key \(TokenRefusal.quoted(kid)) is \(bytes) bytes; at least \(KeyRing.minimumSecretBytes) are needed"
        case .longSecret(let kid, let bytes):
            "the secret of key \(TokenRefusal.quoted(kid)) is \(bytes) bytes; at most \(KeyRing.maximumSecretBytes) are accepted"
        case .noKeys: "no keys (one 'KID SECRET' line per key)"
        case .atLine(let line, let inner): "line \(line): \(inner)"
        case .inFile(let path, let inner): "key file \(path): \(inner)"
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
