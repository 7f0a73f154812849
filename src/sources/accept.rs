//! The HTTP/1 accept loop the collector's listeners share (OTLP, the Alertmanager webhook,
//! `/metrics`): a cap on connections served at once, a timeout on request heads (which
//! also closes idle keep-alive connections), and a graceful stop.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// Called with the status of every answer a listener sends (the collector counts them for `/metrics`).
#[derive(Clone)]
pub struct StatusHook(pub Arc<dyn Fn(u16) + Send + Sync>);

impl std::fmt::Debug for StatusHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusHook")
    }
}

/// Limits on the connections of one listener.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Time from a connection's first byte (or its previous answer) to a complete request head.
    pub header_timeout: Duration,
    /// Connections served at once; more wait in the accept backlog.
    pub max_connections: usize,
    /// How long requests in flight may take to finish once `shutdown` completes.
    pub drain: Duration,
    pub on_status: Option<StatusHook>,
}

/// Serves `app` on `listener` until `shutdown` completes; requests in flight then finish
/// within `limits.drain` (or the header timeout, whichever is longer). `what` names the
/// listener in logs.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    what: &'static str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let header_timeout = limits.header_timeout;
    let app = match limits.on_status {
        Some(hook) => app.layer(axum::middleware::map_response(move |r: Response| {
            let hook = hook.clone();
            async move {
                (hook.0)(r.status().as_u16());
                r
            }
        })),
        None => app,
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper checks the timeout each time it waits for a request head, which also closes
    // keep-alive connections left idle that long.
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A slot is taken before accepting, so connections over the cap wait in the kernel's
        // backlog instead of being accepted and starved.
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break, // never closed
            },
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "{what} cannot accept connections");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        #[allow(
            clippy::let_underscore_must_use,
            reason = "Nagle on or off is latency only; the connection works either way"
        )]
        let _ = stream.set_nodelay(true);
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let mut stop = stop_rx.clone();
        conns.spawn(async move {
            let _slot = slot;
            let mut conn = std::pin::pin!(conn);
            let mut stopping = false;
            loop {
                tokio::select! {
                    done = conn.as_mut() => {
                        if let Err(e) = done {
                            tracing::debug!(error = %e, "{what} connection ended");
                        }
                        break;
                    }
                    _ = stop.wait_for(|s| *s), if !stopping => {
                        // Finishes the request in progress, then closes.
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        });
        while conns.try_join_next().is_some() {}
    }
    #[allow(clippy::let_underscore_must_use, reason = "no connection left to listen means none to stop")]
    let _ = stop_tx.send(true);
    // Requests in flight finish; a connection still reading headers or a body is cut off by
    // its timeouts, and whatever remains past them is dropped with the set.
    #[allow(
        clippy::let_underscore_must_use,
        reason = "past the drain deadline the remaining connections are dropped on purpose"
    )]
    let _ =
        tokio::time::timeout(header_timeout.max(limits.drain), async { while conns.join_next().await.is_some() {} })
            .await;
}

/// Errors of one connection that `accept` reports, which say nothing about the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}
