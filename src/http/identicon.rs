//! `/identicon/{acct}`: the default avatar, a symmetric 5×5 pattern derived from the account
//! name, as an SVG (deterministic, cacheable forever).

use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

pub fn svg(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let hue = u16::from_be_bytes([h[0], h[1]]) % 360;
    let mut cells = String::new();
    for y in 0..5u8 {
        for x in 0..3u8 {
            let bit = (h[2 + (y * 3 + x) as usize / 8] >> ((y * 3 + x) % 8)) & 1;
            if bit == 1 {
                for cx in if x == 2 { vec![2] } else { vec![x, 4 - x] } {
                    cells += &format!("<rect x=\"{}\" y=\"{}\" width=\"1\" height=\"1\"/>", cx + 1, y + 1);
                }
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 7 7\" shape-rendering=\"crispEdges\">\
         <rect width=\"7\" height=\"7\" fill=\"hsl({hue},45%,92%)\"/><g fill=\"hsl({hue},55%,50%)\">{cells}</g></svg>"
    )
}

pub async fn serve(acct: web::Path<String>) -> HttpResponse {
    let acct = acct.into_inner();
    if acct.len() > 600 {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .body(svg(&acct.to_lowercase()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_name_same_picture() {
        assert_eq!(super::svg("a@b"), super::svg("a@b"));
        assert_ne!(super::svg("a@b"), super::svg("c@b"));
    }
}
