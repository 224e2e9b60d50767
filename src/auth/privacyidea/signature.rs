//! privacyIDEA's response signatures, checked the way the server makes them.
//!
//! privacyIDEA 3.14 signs every JSON answer with its audit key (`PI_AUDIT_KEY_PRIVATE`) in
//! `privacyidea/api/lib/postpolicy.py::sign_response`:
//!
//! ```python
//! content["signature"] = sign_object.sign(json.dumps(content, sort_keys=True))
//! response_object.set_data(json.dumps(content, sort_keys=True))
//! ```
//!
//! and `privacyidea/lib/crypto.py::Sign.sign` makes `"rsa_sha256_pss:" + hex(signature)` with
//! RSA-PSS, MGF1(SHA-256), SHA-256 and the *maximum* salt length (`PSS.MAX_LENGTH`). So the
//! signed text is the body without its top-level `signature` member, written as Python's
//! `json.dumps(..., sort_keys=True)` writes it: keys sorted by code point, `", "` and `": "`
//! between items, every character outside printable ASCII as a lowercase `\uXXXX` escape
//! (`ensure_ascii`, surrogate pairs beyond the BMP). [`python_json`] rebuilds exactly that
//! text from the body; numbers keep the text they came with (Python wrote them, and a float
//! read into an `f64` and written again need not come out the same).
//!
//! `aws-lc-rs` does the RSA: it is in the tree already (rustls uses it) and, unlike `ring`,
//! verifies PSS with the maximum salt length (`RsaPssSaltLength::Max`).

use std::collections::BTreeMap;
use std::path::Path;

use aws_lc_rs::signature::{self, RsaParameters, RsaPssSaltLength, UnparsedPublicKey};
use base64::Engine;

/// RSA-PSS with SHA-256 and the salt as long as the key allows, as privacyIDEA signs.
static RSA_PSS_SHA256_MAX_SALT: RsaParameters =
    signature::RSA_PSS_2048_8192_SHA256.with_pss_salt_length(RsaPssSaltLength::Max);

/// The only signature scheme privacyIDEA 3.x writes.
const SCHEME: &str = "rsa_sha256_pss:";

/// Nesting deeper than this is not a privacyIDEA answer (and would cost stack to read).
const MAX_DEPTH: usize = 32;

/// Why an answer's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the answer is not a JSON object")]
    NotJson,
    #[error("the answer carries no signature")]
    Unsigned,
    #[error("the answer's signature is not rsa_sha256_pss")]
    Scheme,
    #[error("the answer's signature does not match backend.public_key")]
    Mismatch,
}

/// Why `backend.public_key` can't be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("can't read {path}: {source}")]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("{0} holds no PEM public key (-----BEGIN PUBLIC KEY----- or -----BEGIN RSA PUBLIC KEY-----)")]
    NotPem(std::path::PathBuf),
    #[error("{0} is not an RSA public key")]
    NotRsa(std::path::PathBuf),
    #[error("{path} is a {bits}-bit RSA key; privacyIDEA's audit keys have 2048 bits or more")]
    TooShort { path: std::path::PathBuf, bits: usize },
}

/// privacyIDEA's public audit key (`PI_AUDIT_KEY_PUBLIC`).
#[derive(Clone)]
pub struct ResponseKey {
    /// DER: SubjectPublicKeyInfo or PKCS#1 RSAPublicKey (aws-lc-rs takes either).
    der: Vec<u8>,
}

impl std::fmt::Debug for ResponseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseKey").field("der_len", &self.der.len()).finish()
    }
}

impl ResponseKey {
    /// Reads a PEM file (what `pi-manage setup create_audit_keys` writes).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read { path: path.into(), source })?;
        Self::from_pem(&text, path)
    }

    fn from_pem(text: &str, path: &Path) -> Result<Self, KeyError> {
        let block = |label: &str| {
            let begin = format!("-----BEGIN {label}-----");
            let start = text.find(&begin)? + begin.len();
            let end = text[start..].find(&format!("-----END {label}-----"))? + start;
            let b64: String = text[start..end].chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(b64).ok()
        };
        if let Some(der) = block("PUBLIC KEY") {
            let key = aws_lc_rs::rsa::PublicEncryptingKey::from_der(&der).map_err(|_| KeyError::NotRsa(path.into()))?;
            return Self::sized(der, key.key_size_bits(), path);
        }
        if let Some(der) = block("RSA PUBLIC KEY") {
            let bits = RsaParameters::public_modulus_len(&der).map_err(|_| KeyError::NotRsa(path.into()))?;
            return Self::sized(der, bits as usize, path);
        }
        Err(KeyError::NotPem(path.into()))
    }

    fn sized(der: Vec<u8>, bits: usize, path: &Path) -> Result<Self, KeyError> {
        if bits < 2048 {
            return Err(KeyError::TooShort { path: path.into(), bits });
        }
        Ok(ResponseKey { der })
    }

    /// Checks the signature of a whole response body, as privacyIDEA made it.
    pub fn verify(&self, body: &[u8]) -> Result<(), SignatureError> {
        let text = std::str::from_utf8(body).map_err(|_| SignatureError::NotJson)?;
        let Json::Object(mut members) = Json::parse(text).ok_or(SignatureError::NotJson)? else {
            return Err(SignatureError::NotJson);
        };
        let Some(Json::String(signed)) = members.remove("signature") else {
            return Err(SignatureError::Unsigned);
        };
        let hex = signed.strip_prefix(SCHEME).ok_or(SignatureError::Scheme)?;
        let signature = from_hex(hex).ok_or(SignatureError::Mismatch)?;
        let message = python_json(&Json::Object(members));
        UnparsedPublicKey::new(&RSA_PSS_SHA256_MAX_SALT, &self.der)
            .verify(message.as_bytes(), &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// A JSON value as far as re-writing it needs: numbers (and `true`, `false`, `null`, and the
/// `NaN`/`Infinity` Python may write) keep their text.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Literal(String),
    String(String),
    Array(Vec<Json>),
    /// Sorted by key, as `sort_keys=True` writes them; a repeated key keeps its last value,
    /// as Python's `json.loads` does.
    Object(BTreeMap<String, Json>),
}

impl Json {
    fn parse(text: &str) -> Option<Json> {
        let mut reader = Reader { text, at: 0 };
        let value = reader.value(0)?;
        reader.skip_space();
        (reader.at == text.len()).then_some(value)
    }
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        match self.peek()? {
            b'{' => {
                self.at += 1;
                let mut members = BTreeMap::new();
                if self.eat(b'}') {
                    return Some(Json::Object(members));
                }
                loop {
                    self.skip_space();
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    members.insert(key, self.value(depth + 1)?);
                    if self.eat(b'}') {
                        return Some(Json::Object(members));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Json::Array(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Json::String),
            _ => {
                let rest = &self.text[self.at..];
                let len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
                    .unwrap_or(rest.len());
                let literal = &rest[..len];
                self.at += len;
                let known = matches!(literal, "true" | "false" | "null" | "NaN" | "Infinity" | "-Infinity");
                let number = serde_json::from_str::<serde_json::Number>(literal).is_ok();
                (known || number).then(|| Json::Literal(literal.to_string()))
            }
        }
    }

    /// A string literal at the cursor, decoded (serde_json does the escapes).
    fn string(&mut self) -> Option<String> {
        let rest = self.text[self.at..].strip_prefix('"')?;
        let mut escaped = false;
        let end = rest.char_indices().find_map(|(i, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes.then_some(i)
        })?;
        let literal = &self.text[self.at..self.at + end + 2];
        self.at += end + 2;
        serde_json::from_str(literal).ok()
    }
}

/// `json.dumps(value, sort_keys=True)`, as CPython 3 writes it.
fn python_json(value: &Json) -> String {
    let mut out = String::new();
    write_python(value, &mut out);
    out
}

fn write_python(value: &Json, out: &mut String) {
    match value {
        Json::Literal(text) => out.push_str(text),
        Json::String(text) => write_python_string(text, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python(item, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_string(key, out);
                out.push_str(": ");
                write_python(item, out);
            }
            out.push('}');
        }
    }
}

/// A string as `ensure_ascii=True` writes it: printable ASCII as is, the usual short escapes,
/// everything else `\uXXXX` (lowercase; two escapes, a surrogate pair, beyond U+FFFF).
fn write_python_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The public audit key of a real privacyIDEA 3.14 (a lab install, made for these tests).
    const LAB_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxll5B6gCsMZS4L9qmpQ+
ofOcCSPydXW7ooRRAJPiAXmFfixVwzk6NJlAo75YNd2SGgKtppejXZxQ2fV+POQE
Fkxyr22OJ75gyFHdF1fxa3UMldS/D4yrmaIfdBHqSn8lKzwABttiPfyVoTka5ecI
US0o3MVFryrtMPl3IbjdwJ3/cvpnc0X0HmB4vqo1zhkJgdkrJ0r5jmXx8wuBfoGb
YPos04izB3IVJrRFsC2NHP+B0tpCgmLclHwCjILtBkLBjamt+gVXpmdDJBmTI4Mn
OOntaladYcCuYbYAsMys+RGWM/TI347E4YqrDM6iw/c0PB9NRNguCRhdf/QFY68S
YwIDAQAB
-----END PUBLIC KEY-----
";

    /// That server's answer to a right code, byte for byte: a nonce, a float, escapes, an emoji.
    const LAB_ACCEPT: &str = r#"{"detail": {"message": "Found matching challenge", "serial": "PISM0006510A", "threadid": 139635800060608, "user": {"email": "zoe@example.test", "givenname": "Zo\u00eb \"Z\"", "id": 20, "mobile": "+12065550120", "password": "", "role": "cashier, kiosk-manager", "surname": "\u00c5lvarez-N\u00fa\u00f1ez \ud83d\ude42", "userid": "20", "username": "+12065550120"}, "user-realm": "kiosk", "user-resolver": "workers_by_phone"}, "id": 2, "jsonrpc": "2.0", "nonce": "4f1c2a", "result": {"authentication": "ACCEPT", "status": true, "value": true}, "signature": "rsa_sha256_pss:79e61ff56922f37d6e4878105ea7cb5a79c6533bd89ba602f211ca7765a414dc5e5c0d4a09e6b555d989c3531cb3333c11873e2ba0b53c9177be99c66f00e66f1418122b7b5b5c85eb3f2ea17945be5baaaf4a5fe7fef06f8f18b5de84f7ab31734c7cc35d217c468ceeb73c53ca8efa1ce2a09aa71d89e3d7a2725cc583252f8ff940726472baaf79118f99420180a8174b19afa548c17cee7f46090e957f514d1e9607bf442b5cccc092ae562b36a551d17c911614da69b2dbe0cdcfffa91302fce88292dee757ec7683fafe051fb627a889c9c17a14617326fc5a6e4a0579225725cf41843fd91faa1c67644ee296c90cb78703b3f774ab6c5ce4267af7f8", "time": 1796166110.5176225, "version": "privacyIDEA 3.14", "versionnumber": "3.14"}"#;

    fn lab_key() -> ResponseKey {
        ResponseKey::from_pem(LAB_KEY, Path::new("lab.pem")).unwrap()
    }

    #[test]
    fn a_real_privacyidea_answer_verifies() {
        lab_key().verify(LAB_ACCEPT.as_bytes()).unwrap();
    }

    #[test]
    fn the_same_answer_reformatted_still_verifies() {
        // Keys in another order, other spacing, escapes written another way: the signed text
        // is rebuilt from the values, not taken from the bytes.
        let value: serde_json::Value = serde_json::from_str(LAB_ACCEPT).unwrap();
        let mut reformatted = serde_json::to_string_pretty(&value).unwrap();
        // serde_json writes the float its own way; put Python's text back.
        let time = reformatted.find("\"time\": ").unwrap() + 8;
        let end = reformatted[time..].find(',').unwrap() + time;
        reformatted.replace_range(time..end, "1796166110.5176225");
        assert_ne!(reformatted, LAB_ACCEPT);
        lab_key().verify(reformatted.as_bytes()).unwrap();
    }

    #[test]
    fn a_changed_role_or_nonce_or_a_missing_signature_is_refused() {
        let key = lab_key();
        let promoted = LAB_ACCEPT.replace("\"role\": \"cashier, kiosk-manager\"", "\"role\": \"kiosk-manager\"");
        assert_eq!(key.verify(promoted.as_bytes()), Err(SignatureError::Mismatch));
        let replayed = LAB_ACCEPT.replace("\"nonce\": \"4f1c2a\"", "\"nonce\": \"000000\"");
        assert_eq!(key.verify(replayed.as_bytes()), Err(SignatureError::Mismatch));
        let start = LAB_ACCEPT.find(", \"signature\"").unwrap();
        let end = LAB_ACCEPT.find(", \"time\"").unwrap();
        let unsigned = format!("{}{}", &LAB_ACCEPT[..start], &LAB_ACCEPT[end..]);
        assert_eq!(key.verify(unsigned.as_bytes()), Err(SignatureError::Unsigned));
        let other_scheme = LAB_ACCEPT.replace("rsa_sha256_pss:", "");
        assert_eq!(key.verify(other_scheme.as_bytes()), Err(SignatureError::Scheme));
        assert_eq!(key.verify(b"<html>502 Bad Gateway</html>"), Err(SignatureError::NotJson));
        assert_eq!(key.verify(b"[1, 2]"), Err(SignatureError::NotJson));
    }

    #[test]
    fn python_json_writes_what_cpython_writes() {
        // python3 -c 'import json; print(json.dumps({"a": [1, 2.5, 1e-07, 1e16, -0.0, True, None,
        //   "\x7f\x01\t/\u2028"], "b": {}, "c": [], "é": 1, "Z": 2}, sort_keys=True))'
        let python = r#"{"Z": 2, "a": [1, 2.5, 1e-07, 1e+16, -0.0, true, null, "\u007f\u0001\t/\u2028"], "b": {}, "c": [], "\u00e9": 1}"#;
        let scrambled = "{ \"c\":[ ], \"\u{e9}\" : 1,\"b\":{},\n\"a\":[1,2.5,1e-07,1e+16,-0.0,true,null,\"\\u007F\\u0001\\t\\/\u{2028}\"],\"Z\":2}";
        assert_eq!(python_json(&Json::parse(scrambled).unwrap()), python);
        assert_eq!(python_json(&Json::parse(python).unwrap()), python);
    }

    #[test]
    fn malformed_or_deep_json_is_not_read() {
        for bad in ["{", "{\"a\" 1}", "[1,]", "{\"a\": tru}", "\"open", "{} x", "[01x]"] {
            assert_eq!(Json::parse(bad), None, "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
        assert_eq!(Json::parse(&deep), None);
    }

    #[test]
    fn keys_that_are_not_pem_rsa_public_keys_are_refused() {
        let path = Path::new("k.pem");
        assert!(matches!(ResponseKey::from_pem("hello", path), Err(KeyError::NotPem(_))));
        let garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(matches!(ResponseKey::from_pem(garbage, path), Err(KeyError::NotRsa(_))));
    }
}
