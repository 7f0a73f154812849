//! A scripted OpenAI-compatible endpoint on loopback, shared by the tests that drive `firewatch ask`
//! against a model: it records every request body byte for byte and answers each request with the
//! next reply of its script (a tool call, streamed text, or an HTTP error status).
//! Include with `#[path = "common/llm.rs"] mod llm;`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

#[derive(Clone)]
pub enum Reply {
    /// A tool call: the tool's name and its arguments (streamed in two pieces, as models do).
    Tool(String, Value),
    /// A streamed answer, in small pieces.
    Text(String),
    /// An HTTP error status with no completion.
    Status(u16),
}

impl Reply {
    pub fn tool(name: &str, args: Value) -> Self {
        Reply::Tool(name.to_string(), args)
    }
}

#[derive(Default)]
struct Inner {
    bodies: Vec<Vec<u8>>,
    script: VecDeque<Reply>,
}

/// What the endpoint received; cloned handles share it.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Inner>>);

impl Capture {
    pub fn bodies(&self) -> Vec<Vec<u8>> {
        self.0.lock().unwrap().bodies.clone()
    }

    pub fn texts(&self) -> Vec<String> {
        self.bodies().into_iter().map(|b| String::from_utf8(b).unwrap()).collect()
    }
}

fn sse(chunks: Vec<Value>) -> Response {
    let mut body = String::new();
    for c in chunks {
        body.push_str(&format!("data: {c}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "capture",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

async fn completions(State(cap): State<Capture>, body: Bytes) -> Response {
    let reply = {
        let mut inner = cap.0.lock().unwrap();
        inner.bodies.push(body.to_vec());
        inner.script.pop_front().unwrap_or(Reply::Text("nothing more to say [E1]".into()))
    };
    match reply {
        Reply::Status(code) => (StatusCode::from_u16(code).unwrap(), "internal server error").into_response(),
        Reply::Text(text) => {
            let mut chunks = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
            let chars: Vec<char> = text.chars().collect();
            for piece in chars.chunks(7) {
                chunks.push(chunk(json!({"content": piece.iter().collect::<String>()}), None));
            }
            chunks.push(chunk(json!({}), Some("stop")));
            sse(chunks)
        }
        Reply::Tool(name, args) => {
            let args = args.to_string();
            // Split on a character boundary: arguments may hold multi-byte text.
            let mut mid = args.len() / 2;
            while !args.is_char_boundary(mid) {
                mid -= 1;
            }
            let (a, b) = args.split_at(mid);
            sse(vec![
                chunk(
                    json!({"role": "assistant", "content": null, "tool_calls": [
                        {"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": a}}]}),
                    None,
                ),
                chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": b}}]}), None),
                chunk(json!({}), Some("tool_calls")),
            ])
        }
    }
}

/// Starts the endpoint on a free loopback port; it lives as long as the test process.
/// Returns the base URL to put in `[llm] base_url` and the capture.
pub fn serve(script: Vec<Reply>) -> (String, Capture) {
    let cap = Capture::default();
    cap.0.lock().unwrap().script = script.into();
    let app = Router::new().route("/v1/chat/completions", post(completions)).with_state(cap.clone());
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    (format!("http://{addr}/v1"), cap)
}
