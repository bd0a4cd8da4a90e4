//! Fuzz target: every MFM entry point must accept any text without panicking.
#![no_main]

#[path = "../../src/mfm/mod.rs"]
#[allow(dead_code)]
mod mfm;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let tree = mfm::parse(text);
    let _ = mfm::to_json(&tree);
    let _ = mfm::to_plain(&tree);
    let ctx = mfm::HtmlContext::new("https://fuzz.example");
    let _ = mfm::to_html(&tree, &ctx);
    let _ = mfm::parse_simple(text);
    let _ = mfm::extract_mentions(&tree);
    let _ = mfm::extract_hashtags(&tree);
    let _ = mfm::extract_emojis(&tree);
    let _ = mfm::from_html(text, &[]);
});
