//! Fluent bundles: parsed once per language, on first use, and kept for the kiosk's life.

use std::cell::RefCell;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use super::Language;

/// A message argument: a number (which picks plurals) or a string.
pub type Arg<'a> = FluentValue<'a>;

type Bundle = FluentBundle<FluentResource>;

/// One slot per language, filled the first time that language is used.
static BUNDLES: [OnceLock<Bundle>; Language::ALL.len()] = [const { OnceLock::new() }; Language::ALL.len()];

fn parse(language: Language) -> Bundle {
    let id: LanguageIdentifier = language.tag().parse().expect("the language tags are valid BCP 47");
    let mut bundle = Bundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: a terminal would draw them as cells.
    bundle.set_use_isolating(false);
    // The files are compiled in and a test parses each one cleanly; should one still fail,
    // what parsed is used and a missing message falls back to English.
    let resource = FluentResource::try_new(language.source().to_string()).unwrap_or_else(|(partial, errors)| {
        tracing::error!(language = language.tag(), ?errors, "translation file has errors");
        partial
    });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(language = language.tag(), ?errors, "translation file has duplicate messages");
    }
    bundle
}

impl Language {
    fn bundle(self) -> &'static Bundle {
        BUNDLES[self as usize].get_or_init(|| parse(self))
    }

    /// Parses this language's messages now, if they aren't yet (the default, at start).
    pub fn load(self) {
        self.bundle();
    }

    /// Whether this language's messages have been parsed (for the start-up test).
    pub fn loaded(self) -> bool {
        BUNDLES[self as usize].get().is_some()
    }

    /// The message `id` with `args`; English if this language lacks it (a test sees that none
    /// does), the id itself if English does too. Use [`tr!`](crate::tr) to call it.
    pub fn format<'a, const N: usize>(self, id: &str, args: [(&'static str, Arg<'a>); N]) -> String {
        let bundle = self.bundle();
        let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) else {
            debug_assert!(false, "no message {id:?} in {}", self.tag());
            return match self {
                Language::English => id.to_string(),
                _ => Language::English.format(id, args),
            };
        };
        let args = (N > 0).then(|| {
            let mut fluent_args = FluentArgs::with_capacity(N);
            for (name, value) in args {
                fluent_args.set(name, value);
            }
            fluent_args
        });
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args.as_ref(), &mut errors).into_owned();
        debug_assert!(errors.is_empty(), "message {id:?} in {}: {errors:?}", self.tag());
        CAPTURED.with_borrow_mut(|captured| {
            if let Some(captured) = captured {
                captured.push(text.clone());
            }
        });
        text
    }
}

thread_local! {
    static CAPTURED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Runs `work` and returns, with its result, every message it formatted on this thread: the
/// screen tests check that each one is on screen whole.
#[doc(hidden)]
pub fn capture<R>(work: impl FnOnce() -> R) -> (R, Vec<String>) {
    let outer = CAPTURED.replace(Some(Vec::new()));
    let result = work();
    let captured = CAPTURED.replace(outer).unwrap_or_default();
    (result, captured)
}
