//! Unit tests for the renderers, extraction, the CLI handler and parser
//! robustness. Parser parity with mfm-js is tested against the real
//! package by tests/mfm_parity.rs.

use crate::mfm::cli::{run_cli, MfmCommand};
use crate::mfm::*;

fn html(s: &str) -> String {
    to_html(&parse(s), &HtmlContext::new("https://local.example/"))
}

#[test]
fn json_shape() {
    assert_eq!(
        to_json(&parse("**a** @b@c.d")),
        r#"[{"type":"bold","children":[{"type":"text","props":{"text":"a"}}]},{"type":"text","props":{"text":" "}},{"type":"mention","props":{"username":"b","host":"c.d","acct":"@b@c.d"}}]"#
    );
    assert_eq!(
        to_json(&parse("<https://a.b>")),
        r#"[{"type":"url","props":{"url":"https://a.b","brackets":true}}]"#
    );
    assert_eq!(
        to_json(&parse("$[x.2=a,1,b=c d]")),
        r#"[{"type":"fn","props":{"name":"x","args":{"1":true,"2":"a","b":"c"}},"children":[{"type":"text","props":{"text":"d"}}]}]"#
    );
    assert_eq!(
        to_json(&parse_simple("**a** :e: 😀")),
        r#"[{"type":"text","props":{"text":"**a** "}},{"type":"emojiCode","props":{"name":"e"}},{"type":"text","props":{"text":" "}},{"type":"unicodeEmoji","props":{"emoji":"😀"}}]"#
    );
}

#[test]
fn html_basic() {
    assert_eq!(html("a\nb"), "a<br>b");
    assert_eq!(html("a\r\nb\rc\n"), "a<br>b<br>c<br>");
    assert_eq!(
        html("**b** <i>i</i> ~~s~~ <small>m</small>"),
        "<b>b</b> <i>i</i> <del>s</del> <small>m</small>"
    );
    assert_eq!(html("`x<y`"), "<code>x&lt;y</code>");
    assert_eq!(html("```\n<&>\n```"), "<pre><code>&lt;&amp;&gt;</code></pre>");
    assert_eq!(html("<center>c</center>"), "<div style=\"text-align: center;\">c</div>");
    assert_eq!(html("> q"), "<blockquote>q</blockquote>");
    assert_eq!(html(":blob:"), "\u{200b}:blob:\u{200b}");
    assert_eq!(html("<script>\"'"), "&lt;script&gt;&quot;&#039;");
}

#[test]
fn html_links() {
    assert_eq!(
        html("https://a.example/x?y=1&z"),
        "<a href=\"https://a.example/x?y=1&amp;z\">https://a.example/x?y=1&amp;z</a>"
    );
    assert_eq!(html("[t](https://a.example)"), "<a href=\"https://a.example\">t</a>");
    assert_eq!(
        html("<https://a.example/\"onmouseover=x>"),
        "<a href=\"https://a.example/%22onmouseover=x\">https://a.example/&quot;onmouseover=x</a>"
    );
    assert_eq!(
        html("#タグ"),
        "<a href=\"https://local.example/tags/%E3%82%BF%E3%82%B0\" rel=\"tag\">#タグ</a>"
    );
    assert_eq!(html("@a"), "<a href=\"https://local.example/@a\" class=\"u-url mention\">@a</a>");
    assert_eq!(
        html("@a@LOCAL.example"),
        "<a href=\"https://local.example/@a\" class=\"u-url mention\">@a@LOCAL.example</a>"
    );
    let resolver = |u: &str, h: Option<&str>| h.map(|h| format!("https://{h}/users/{u}"));
    let ctx = HtmlContext::new("https://local.example").with_resolver(&resolver);
    assert_eq!(
        to_html(&parse("@b@r.example"), &ctx),
        "<a href=\"https://r.example/users/b\" class=\"u-url mention\">@b@r.example</a>"
    );
}

#[test]
fn html_fn() {
    assert_eq!(html("$[x2 big]"), "<i>big</i>");
    assert_eq!(
        html("$[unixtime 0]"),
        "<time datetime=\"1970-01-01T00:00:00.000Z\">1970-01-01T00:00:00.000Z</time>"
    );
    assert_eq!(
        html("$[unixtime 1700000000]"),
        "<time datetime=\"2023-11-14T22:13:20.000Z\">2023-11-14T22:13:20.000Z</time>"
    );
    assert_eq!(html("$[unixtime x]"), "<i>x</i>");
    assert_eq!(html("$[ruby 漢字 かんじ]"), "<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>");
    assert_eq!(html("$[ruby **a** b]"), "<ruby><b>a</b><rp>(</rp><rt>b</rt><rp>)</rp></ruby>");
}

#[test]
fn plain_text() {
    assert_eq!(
        to_plain(&parse("**a** @b #c :d: [e](https://f.example)")),
        "a @b #c :d: e (https://f.example)"
    );
    assert_eq!(to_plain(&parse("x\n> q\ny")), "x\nq\ny");
    assert_eq!(to_plain(&parse("```\ncode\n```")), "code");
}

#[test]
fn extraction() {
    let nodes = parse("@a @A @a@h.example **@b** #Tag #tag #ＴＡＧ #other :e: :e: :f:");
    let m = extract_mentions(&nodes);
    assert_eq!(m.len(), 3);
    assert_eq!(m[1], MentionRef { username: "a".into(), host: Some("h.example".into()) });
    assert_eq!(extract_hashtags(&nodes), vec!["tag", "other"]);
    assert_eq!(extract_emojis(&nodes), vec!["e", "f"]);
    assert_eq!(normalize_for_search("Ｍｉｓｓｋｅｙ"), "misskey");
}

#[test]
fn from_html_mastodon() {
    let tags = vec![
        ApTag {
            kind: "Mention".into(),
            href: Some("https://m.example/users/bob".into()),
            name: Some("@bob@m.example".into()),
        },
        ApTag {
            kind: "Hashtag".into(),
            href: Some("https://m.example/tags/rust".into()),
            name: Some("#rust".into()),
        },
    ];
    let h = r#"<p><span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span> hi<br>there <a href="https://m.example/tags/Rust" class="mention hashtag" rel="tag">#<span>Rust</span></a></p><p><a href="https://x.example/a" rel="nofollow"><span class="invisible">https://</span><span>x.example/a</span></a> <strong>b</strong> <em>i</em> <code>c</code></p>"#;
    // The mention's href (profile URL) differs from the tag's (actor id): matched by user name.
    assert_eq!(
        from_html(h, &tags),
        "@bob@m.example hi\nthere #Rust\n\nhttps://x.example/a **b** <i>i</i> `c`"
    );
    let h = r#"<a href="https://o.example/@carol" class="u-url mention">@carol</a>"#;
    assert_eq!(from_html(h, &[]), "@carol@o.example");
    assert_eq!(
        from_html("<p>a</p><blockquote>q1<br>q2</blockquote><pre><code>x &lt; y</code></pre>", &[]),
        "a\n> q1\n> q2\n```\nx < y\n```"
    );
    assert_eq!(
        from_html("<a href=\"https://a.example/\">label</a> <a href=\"https://a.example/日本\">t</a>", &[]),
        "[label](https://a.example/) [t](<https://a.example/日本>)"
    );
    assert_eq!(from_html("<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>", &[]), "$[ruby 漢字 かんじ]");
    assert_eq!(from_html("<p>x<script>alert(1)</script></p>", &[]), "x");
    // Deep markup is flattened past a depth limit instead of recursing.
    let deep = "<div>".repeat(5000) + "deep" + &"</div>".repeat(5000);
    assert!(from_html(&deep, &[]).ends_with("deep"));
}

#[test]
fn cli_jsonl() {
    let out =
        run_cli(MfmCommand::Parse { jsonl: true, simple: false, nest_limit: None }, "\"a\"\n\"**b**\"\n")
            .unwrap();
    assert_eq!(out, "[{\"type\":\"text\",\"props\":{\"text\":\"a\"}}]\n[{\"type\":\"bold\",\"children\":[{\"type\":\"text\",\"props\":{\"text\":\"b\"}}]}]\n");
    let out =
        run_cli(MfmCommand::Html { jsonl: false, base_url: "https://l.example".into() }, "**x**").unwrap();
    assert_eq!(out, "<b>x</b>\n");
    assert!(run_cli(MfmCommand::Plain { jsonl: true }, "not json").is_err());
    assert_eq!(
        MfmCommand::from_args(&["parse", "--jsonl", "--simple"]),
        Ok(MfmCommand::Parse { jsonl: true, simple: true, nest_limit: None })
    );
    assert_eq!(
        MfmCommand::from_args(&["html", "--base-url", "https://x.example"]),
        Ok(MfmCommand::Html { jsonl: false, base_url: "https://x.example".into() })
    );
    assert!(MfmCommand::from_args(&["parse", "--bogus"]).is_err());
}

/// Adversarial inputs: no panic, and bounded time (generous for debug builds).
#[test]
fn adversarial_inputs_are_fast() {
    let units = [
        "$[x2 #t",
        "<b>",
        "[",
        "**a",
        "<center>\n",
        "```\n",
        "#(",
        "https://a.com/(",
        "\\(",
        "> ",
        "😀[",
        "~~a\n",
    ];
    for u in units {
        for closer in ["", "]", "</b>", "</center>"] {
            let s = u.repeat(3000 / u.len() + 1) + closer;
            let t = std::time::Instant::now();
            let nodes = parse(&s);
            let _ = to_html(&nodes, &HtmlContext::new("https://l.example"));
            assert!(t.elapsed().as_millis() < 1500, "{u:?} took {:?}", t.elapsed());
        }
    }
    for n in [0, 1, 5, 100] {
        let _ = parse_with_nest_limit(&"<b>$[x ".repeat(200), n);
    }
}
