// Fuzz target `token`: the access-token verifier and the strict JSON reader under it. The first
// input byte picks what the rest is:
//   0: a whole token, verified as presented (size limit, split, base64url, header, kid, signature);
//   1: a claims document, signed with the fuzz key under a good header, then verified: the claims
//      parser and the time checks, which a fuzzer could never reach past a real signature;
//   2: a header document, with good claims, signed: alg, kid, crit and their types;
//   else: a JSON document for the reader alone.
// Properties: no crash; verification is deterministic; an accepted token is at most 4 KiB, names a
// key of the ring, is signed as the verifier claims (recomputed independently), has not expired, and
// its claims survive minting again; a document the reader accepts reads back equal from its
// serialization.

import Auth
import Codecs

let fuzzNow: Double = 1_800_000_100
let fuzzSecret: [UInt8] = Array(0..<32)
let fuzzRing = try! KeyRing(secrets: [(id: "k1", secret: fuzzSecret), (id: "k2", secret: Array(32..<80))])
let goodHeader = #"{"alg":"HS256","typ":"JWT","kid":"k1"}"#
let goodClaims = #"{"sub":"alice","iat":1800000000,"exp":1800003600,"mkt":["nasdaq"],"sym":["AAPL","MS*"],"dep":5,"subs":20,"conn":2}"#

func signed(header: [UInt8], claims: [UInt8], secret: [UInt8] = fuzzSecret) -> String {
    let input = Base64URL.encode(header) + "." + Base64URL.encode(claims)
    return input + "." + Base64URL.encode(HMACSHA256(key: secret).authenticationCode(for: Array(input.utf8)).bytes)
}

func fuzzTargetSeeds() -> [(String, [UInt8])] {
    let token = signed(header: Array(goodHeader.utf8), claims: Array(goodClaims.utf8))
    let parts = token.split(separator: ".").map(String.init)
    let tokens = [
        ("good", token),
        ("other-key", signed(header: Array(goodHeader.utf8), claims: Array(goodClaims.utf8), secret: Array(repeating: 9, count: 32))),
        ("alg-none", Base64URL.encode(Array(#"{"alg":"none","kid":"k1"}"#.utf8)) + "." + parts[1] + "."),
        ("hs512", signed(header: Array(#"{"alg":"HS512","kid":"k1"}"#.utf8), claims: Array(goodClaims.utf8))),
        ("truncated", parts[0] + "." + parts[1] + "." + parts[2].dropLast(3)),
        ("expired", signed(header: Array(goodHeader.utf8), claims: Array(#"{"sub":"a","exp":1700000000}"#.utf8))),
        ("unknown-kid", signed(header: Array(#"{"alg":"HS256","kid":"k9"}"#.utf8), claims: Array(goodClaims.utf8))),
    ]
    var seeds = tokens.map { ("token-\($0.0)", [UInt8(0)] + Array($0.1.utf8)) }
    seeds.append(("claims-good", [1] + Array(goodClaims.utf8)))
    seeds.append(("claims-nbf", [1] + Array(#"{"sub":"b","exp":1800000200.5,"nbf":1800000150,"sym":["*"]}"#.utf8)))
    seeds.append(("claims-escapes", [1] + Array(#"{"sub":"\u00e9\ud83d\ude00\n","exp":1.9e9,"x":[{"y":null},true,false]}"#.utf8)))
    seeds.append(("header-good", [2] + Array(goodHeader.utf8)))
    seeds.append(("header-crit", [2] + Array(#"{"alg":"HS256","kid":"k2","crit":["b64"],"b64":false}"#.utf8)))
    seeds.append(("json", [3] + Array(#"[1,-2.5e-3,"a\"b",{"k":[]},null]"#.utf8)))
    return seeds
}

/// Checks everything an accepted token must satisfy.
func checkAccepted(_ token: String, _ verified: VerifiedToken) {
    guard token.utf8.count <= TokenVerifier.maximumTokenBytes else { propertyFailed("accepted a token over 4 KiB") }
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3 else { propertyFailed("accepted a token of \(parts.count) parts") }
    guard let key = fuzzRing.key(id: verified.keyID) else { propertyFailed("accepted kid \(verified.keyID) not in the ring") }
    let secret = verified.keyID == "k1" ? fuzzSecret : Array(32..<80)
    let expected = HMACSHA256(key: secret).authenticationCode(for: Array((parts[0] + "." + parts[1]).utf8))
    guard Base64URL.decode(Array(parts[2].utf8)) == expected.bytes else { propertyFailed("accepted a signature that is not the HMAC") }
    guard fuzzNow < verified.claims.expiresAt else { propertyFailed("accepted an expired token") }
    let again = try! TokenMinter(keys: fuzzRing, keyID: key.id).mint(verified.claims)
    var verifier = TokenVerifier(keys: fuzzRing)
    guard case .success(let reread) = verifier.verify(again, now: fuzzNow), reread.claims == verified.claims else {
        propertyFailed("re-minted claims do not verify to the same claims")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let token: String
    switch data[0] {
    case 0: token = String(decoding: body, as: UTF8.self)
    case 1: token = signed(header: Array(goodHeader.utf8), claims: body)
    case 2: token = signed(header: body, claims: Array(goodClaims.utf8))
    default:
        if case .success(let value) = JSONReader.parse(body) {
            guard case .success(let reread) = JSONReader.parse(Array(value.serialized.utf8)), reread == value else {
                propertyFailed("a document does not read back equal from its serialization")
            }
        }
        return 0
    }
    var verifier = TokenVerifier(keys: fuzzRing, leeway: 0)
    let first = verifier.verify(token, now: fuzzNow)
    let second = verifier.verify(token, now: fuzzNow)
    guard first == second else { propertyFailed("verification is not deterministic") }
    switch first {
    case .success(let verified): checkAccepted(token, verified)
    case .failure(let refusal):
        // The detail is for logs: it never holds the signature or the claims part.
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 3, parts[2].count > 8, refusal.detail.contains(parts[2]) { propertyFailed("a refusal quotes the signature") }
    }
    return 0
}
