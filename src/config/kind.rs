//! Telling a kiosk config from a server config (for `check-config`, which takes either).

use serde::Deserialize;
use serde::de::{self, Visitor};

use super::{KioskConfig, ServerConfig};

/// Which program a config file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    Kiosk,
    Server,
}

impl ConfigKind {
    /// A file naming a top-level key only the server knows is a server config; anything else
    /// (an empty file, a kiosk config, a file that isn't TOML) is read as the kiosk would read it.
    pub fn of(text: &str) -> Self {
        let Ok(table) = text.parse::<toml::Table>() else { return ConfigKind::Kiosk };
        let kiosk = top_level_keys::<KioskConfig>();
        let server = top_level_keys::<ServerConfig>();
        if table.keys().any(|key| server.contains(&key.as_str()) && !kiosk.contains(&key.as_str())) {
            ConfigKind::Server
        } else {
            ConfigKind::Kiosk
        }
    }
}

/// The keys a config struct takes, as its derived `Deserialize` names them: asked of the
/// struct itself so that no list of keys is written twice.
fn top_level_keys<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut keys: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut keys));
    keys
}

/// A deserializer that only notes the field names a struct asks for, then stops.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field names noted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_are_the_structs_own() {
        let kiosk = top_level_keys::<KioskConfig>();
        assert!(kiosk.contains(&"session") && kiosk.contains(&"name"), "{kiosk:?}");
        let server = top_level_keys::<ServerConfig>();
        assert!(server.contains(&"listen") && server.contains(&"sms"), "{server:?}");
    }

    #[test]
    fn a_file_is_a_server_config_only_when_it_names_a_server_key() {
        assert_eq!(ConfigKind::of("listen = \"127.0.0.1:1\""), ConfigKind::Server);
        assert_eq!(ConfigKind::of("[limits]\nenabled = false"), ConfigKind::Server);
        // Keys both take, or none at all: the kiosk's reading (check-config's default file is the kiosk's).
        assert_eq!(ConfigKind::of("audit_log = \"/tmp/a\""), ConfigKind::Kiosk);
        assert_eq!(ConfigKind::of(""), ConfigKind::Kiosk);
        // A kiosk config without [session], [backend] or default_region is still one.
        assert_eq!(ConfigKind::of("name = \"till-3\"\n[control]\nallowed_groups = []"), ConfigKind::Kiosk);
        assert_eq!(ConfigKind::of("not toml ["), ConfigKind::Kiosk);
    }
}
