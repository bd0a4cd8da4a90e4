//! Binds the listeners for the configured TLS mode and runs until a shutdown signal, then drains.

use super::{metrics, routes};
use crate::config::TlsMode;
use crate::state::AppState;
use crate::supervise::notify;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::sync::atomic::Ordering;
use std::sync::Arc;

async fn redirect_to_https(req: HttpRequest, base: web::Data<String>) -> HttpResponse {
    let target =
        format!("{}{}", base.get_ref(), req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    HttpResponse::PermanentRedirect().insert_header(("Location", target)).finish()
}

/// Answers every route but `/livez` and `/readyz` with 503 while migrations run.
async fn migration_gate(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().expect("state registered");
    if let Err(reason @ crate::supervise::NotReady::Migrating { .. }) = state.health.ready() {
        let path = req.path();
        if path != "/livez" && path != "/readyz" {
            let res = HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "1"))
                .content_type("text/plain")
                .body(reason.to_string());
            return Ok(req.into_response(res));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A panic while answering a request fails that request alone (INTERNAL_ERROR, logged with an
/// error id); the worker, its other connections and the process go on.
async fn contain_panics(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use futures_util::FutureExt;
    // The request cannot be kept for the answer (routing needs it unshared), so the error is
    // returned for actix to render.
    let path = req.path().to_string();
    match std::panic::AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(res) => Ok(res?.map_into_boxed_body()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(crate::api::ApiError::internal(format!("panic while answering {path}: {what}")).into())
        }
    }
}

/// Headers every answer carries, and for HTML pages a Content-Security-Policy that allows no
/// inline script and no framing.
async fn security_headers(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
    let mut res = next.call(req).await?;
    let html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        h.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    };
    set("x-content-type-options", "nosniff");
    set("referrer-policy", "strict-origin-when-cross-origin");
    if html {
        set(
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data: blob:; \
             media-src 'self' https:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        );
        set("x-frame-options", "DENY");
    }
    Ok(res)
}

/// The application with every middleware, as each worker builds it.
macro_rules! app {
    ($data:expr, $api:expr, $max_body:expr) => {
        App::new()
            .app_data($data.clone())
            .app_data($api.clone())
            .app_data(web::PayloadConfig::new($max_body))
            .wrap(from_fn(migration_gate))
            .wrap(Compress::default())
            .wrap(from_fn(metrics::record))
            .wrap(from_fn(security_headers))
            .wrap(from_fn(contain_panics))
            .configure(routes)
            .default_service(web::to(crate::http::ui::serve))
    };
}

fn bind_err(addr: &str, e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        anyhow::anyhow!("cannot listen on {addr}: the port is already in use (another server running?)")
    } else if e.kind() == std::io::ErrorKind::PermissionDenied {
        anyhow::anyhow!(
            "cannot listen on {addr}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
        )
    } else {
        anyhow::anyhow!("cannot listen on {addr}: {e}")
    }
}

/// Runs the HTTP(S) server(s) until SIGTERM/SIGINT, then stops accepting, drains, and returns.
pub async fn run(state: Arc<AppState>, fed: Arc<crate::ap::Federation>) -> anyhow::Result<()> {
    let cfg = state.config.clone();
    let data = web::Data::from(state.clone());
    let api = web::Data::new(crate::api::Caches::default());
    let max_body = cfg.http.max_body_bytes;
    let hub = Arc::new(crate::streaming::Hub::default());
    crate::streaming::start(hub.clone(), state.clone());
    let hub_data = web::Data::from(hub.clone());
    let resolver: web::Data<dyn crate::domain::federation::Resolver> =
        web::Data::from(fed.clone() as Arc<dyn crate::domain::federation::Resolver>);
    let fed_data = web::Data::from(fed);
    let app = move || {
        app!(data, api, max_body)
            .app_data(hub_data.clone())
            .app_data(fed_data.clone())
            .app_data(resolver.clone())
    };
    let workers = if cfg.http.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        cfg.http.workers
    };
    let server = HttpServer::new(app).workers(workers).disable_signals().shutdown_timeout(20);

    let mut file_resolver = None;
    let (server, main_addr) = match cfg.tls.mode {
        TlsMode::Off => {
            let addr = cfg.http.listen.clone();
            (server.bind(&addr).map_err(|e| bind_err(&addr, e))?, addr)
        }
        TlsMode::Files => {
            let cert = cfg.tls.cert_file.as_deref().expect("validated");
            let key = cfg.tls.key_file.as_deref().expect("validated");
            let resolver = crate::tls::files::FileResolver::new(cert, key)?;
            file_resolver = Some(resolver.clone());
            let tls = crate::tls::server_config_with(resolver);
            let addr = cfg.http.https_listen.clone();
            (server.bind_rustls_0_23(&addr, tls).map_err(|e| bind_err(&addr, e))?, addr)
        }
        TlsMode::Acme => {
            let resolver = crate::tls::acme::start(&cfg)?;
            let mut tls = crate::tls::server_config_with(resolver);
            tls.alpn_protocols.push(rustls_acme::acme::ACME_TLS_ALPN_NAME.to_vec());
            let addr = cfg.http.https_listen.clone();
            (server.bind_rustls_0_23(&addr, tls).map_err(|e| bind_err(&addr, e))?, addr)
        }
    };
    let main = server.run();
    let main_handle = main.handle();
    tracing::info!(listen = %main_addr, url = %cfg.url, mode = ?cfg.tls.mode, "listening");

    let mut extra = Vec::new();
    if cfg.tls.mode != TlsMode::Off && !cfg.http.redirect_listen.is_empty() {
        let base = web::Data::new(cfg.url.clone());
        let addr = cfg.http.redirect_listen.clone();
        let redirect = HttpServer::new(move || {
            App::new().app_data(base.clone()).default_service(web::to(redirect_to_https))
        })
        .workers(1)
        .disable_signals()
        .bind(&addr)
        .map_err(|e| bind_err(&addr, e))?
        .run();
        tracing::info!(listen = %addr, "redirecting plain HTTP to HTTPS");
        extra.push(redirect);
    }
    if cfg.metrics.enabled {
        extra.push(metrics::start(state.clone())?);
        tracing::info!(listen = %cfg.metrics.listen, "serving metrics at /metrics");
    }
    let extra_handles: Vec<_> = extra.iter().map(|s| s.handle()).collect();
    for s in extra {
        tokio::spawn(s);
    }
    let main_task = tokio::spawn(main);

    notify::ready();
    notify::spawn_watchdog();
    wait_for_shutdown(file_resolver).await;

    tracing::info!("shutting down: draining requests");
    notify::stopping();
    state.health.draining.store(true, Ordering::Relaxed);
    // Streaming sockets never end by themselves: close them so the drain can finish.
    hub.close_all();
    for h in &extra_handles {
        h.stop(true).await;
    }
    main_handle.stop(true).await;
    let _ = main_task.await;
    Ok(())
}

async fn wait_for_shutdown(files: Option<Arc<crate::tls::files::FileResolver>>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
    loop {
        tokio::select! {
            _ = term.recv() => return,
            _ = int.recv() => return,
            _ = hup.recv() => match &files {
                Some(r) => r.reload(),
                None => tracing::info!("SIGHUP: nothing to reload in this TLS mode"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test;

    fn state() -> Arc<AppState> {
        let cfg: crate::config::Config = toml::from_str("url = \"https://t.example\"").unwrap();
        Arc::new(AppState {
            db: crate::db::build_pool(&cfg.database).unwrap(),
            redis: crate::bus::Redis::new(&cfg).unwrap(),
            health: Default::default(),
            trusted_proxies: vec![],
            policies: Default::default(),
            notes: crate::domain::notes::Writer::start(crate::db::build_pool(&cfg.database).unwrap()),
            drive: Arc::new(crate::domain::drive::Drive::from_config(&cfg).unwrap()),
            config: Arc::new(cfg),
        })
    }

    #[actix_web::test]
    async fn every_route_but_the_probes_answers_migrating() {
        let st = state();
        st.health.set_postgres(true);
        st.health.set_migration_progress(2, 5);
        let app = test::init_service(
            App::new()
                .app_data(web::Data::from(st.clone()))
                .app_data(web::Data::new(crate::api::Caches::default()))
                .wrap(from_fn(migration_gate))
                .configure(routes),
        )
        .await;
        for path in ["/api/meta", "/anything"] {
            let res = test::call_service(&app, test::TestRequest::post().uri(path).to_request()).await;
            assert_eq!(res.status().as_u16(), 503, "{path}");
            assert_eq!(test::read_body(res).await, "migrating 2/5");
        }
        let live = test::call_service(&app, test::TestRequest::get().uri("/livez").to_request()).await;
        assert_eq!(live.status().as_u16(), 200);
        let ready = test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
        assert_eq!(ready.status().as_u16(), 503);
        let body: serde_json::Value = test::read_body_json(ready).await;
        assert_eq!(body["status"], "migrating 2/5");
    }

    #[actix_web::test]
    async fn a_panicking_handler_fails_its_request_alone() {
        let st = state();
        st.health.set_postgres(true);
        st.health.set_migrated();
        let (data, api) = (web::Data::from(st.clone()), web::Data::new(crate::api::Caches::default()));
        let app = test::init_service(
            app!(data, api, 1024).route("/boom", web::get().to(|| async { panic!("boom") as HttpResponse })),
        )
        .await;
        // The service answers an error, which actix's dispatcher renders as the response.
        let err = match test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await
        {
            Err(e) => e,
            Ok(res) => panic!("a panic answered {}", res.status()),
        };
        let res = err.error_response();
        assert_eq!(res.status().as_u16(), 500);
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
        // The same service answers the next request.
        let live = test::call_service(&app, test::TestRequest::get().uri("/livez").to_request()).await;
        assert_eq!(live.status().as_u16(), 200);
    }

    #[actix_web::test]
    async fn api_answers_503_in_misskey_format_while_a_dependency_is_down() {
        let st = state();
        st.health.set_postgres(true);
        st.health.set_migrated();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::from(st.clone()))
                .app_data(web::Data::new(crate::api::Caches::default()))
                .configure(routes),
        )
        .await;
        let res = test::call_service(&app, test::TestRequest::post().uri("/api/meta").to_request()).await;
        assert_eq!(res.status().as_u16(), 503);
        assert_eq!(res.headers().get("retry-after").unwrap(), "1");
        let body: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE");
        assert_eq!(body["error"]["info"]["reason"], "redis unreachable");
    }
}
