//! `smartx serve`: opens the database, starts the configured roles, and stops them
//! together on SIGINT/SIGTERM.

use std::time::Duration;

use anyhow::{Context, Result};
use crm::{Store, store::redact, tenants};
use metrics_exporter_prometheus::PrometheusBuilder;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::{Config, Role, ServeConfig};
use crate::http;

pub async fn run(config: &Config, serve: &ServeConfig) -> Result<()> {
    let store = Store::open(&config.store()).await?;
    tenants::ensure_default(&store).await?;
    // Checked before anything starts: a missing key or a malformed setting stops here.
    let sms = if serve.runs(Role::Worker) {
        Some(crm::sms::Provider::build(&store, &serve.sms.provider).context("SMS provider")?)
    } else {
        None
    };
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks: JoinSet<Result<()>> = JoinSet::new();
    let roles: Vec<&str> = serve
        .roles
        .iter()
        .map(|r| match r {
            Role::Radius => "radius",
            Role::Web => "web",
            Role::Worker => "worker",
        })
        .collect();
    let database = match &config.database_url {
        Some(url) => redact(url),
        None => format!("sqlite {}", config.data_dir.join("smartx.db").display()),
    };
    println!(
        "smartx {} serving (roles: {}; database: {database})",
        env!("CARGO_PKG_VERSION"),
        roles.join(", ")
    );

    if serve.runs(Role::Web) {
        let listener = TcpListener::bind(serve.http)
            .await
            .with_context(|| format!("cannot listen for HTTP on {}", serve.http))?;
        println!("  http         http://{}", listener.local_addr()?);
        let app = http::router(http::AppState {
            store: store.clone(),
            metrics: metrics.clone(),
            sms_webhook_key: serve.sms.webhook_key.clone(),
            survey_media_dir: config.data_dir.join("survey-media"),
        });
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            // The peer address feeds per-IP limits (booking codes on a public page).
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
                .context("HTTP server")
        });
    }

    if serve.runs(Role::Radius) {
        let config = radiusd::RadiusConfig::new(serve.radius_auth, serve.radius_acct);
        let mut radius = radiusd::start(store.clone(), config, stop_rx.clone()).await?;
        println!("  radius auth  udp://{}", radius.auth_addr);
        println!("  radius acct  udp://{}", radius.acct_addr);
        tasks.spawn(async move {
            while radius.tasks.join_next().await.is_some() {}
            Ok(())
        });
    }

    if let Some(sms) = sms {
        use crm::sms::SmsProvider;
        let note = match sms.name() {
            "console" => " (development: messages go to stdout and `smartx sms inbox`)",
            _ => "",
        };
        println!("  sms          {}{note}", sms.name());
        tasks.spawn(crate::worker::run(
            store.clone(),
            sms,
            serve.public_url.clone(),
            stop_rx.clone(),
        ));
    }

    println!("smartx is ready (Ctrl-C to stop)");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    wait_for_signal().await?;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let drain = async {
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Err(e)) => tracing::error!(error = %e, "role ended with an error"),
                Err(e) => tracing::error!(error = %e, "role panicked"),
                Ok(Ok(())) => {}
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(10), drain)
        .await
        .is_err()
    {
        tracing::warn!("some roles did not stop within 10 s");
    }
    store.close().await;
    println!("smartx stopped");
    Ok(())
}

async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
