//! A backend that misbehaves on demand: in front of a real `shiftkey serve`, it passes each
//! request through, or answers it with a fault — bytes that aren't HTTP, an answer cut off
//! mid-body, an answer only after 30 s, or a 500 from a proxy. One request per connection
//! (`Connection: close`), so a fault set now applies to the very next request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the backend answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// As the real server answers.
    None,
    /// Bytes that are no HTTP at all, then the connection closes.
    Garbage,
    /// A 200 whose body stops half-way, then the connection closes.
    CloseMidAnswer,
    /// The real answer, 30 s late.
    Slow,
    /// `500 Internal Server Error` with an HTML page, as a proxy in front would answer.
    ServerError,
}

/// The fake: its URL, the fault it answers with, and what it was asked.
pub struct FaultyBackend {
    pub url: String,
    fault: Arc<Mutex<Fault>>,
    /// "METHOD PATH" of every request, with the fault it got.
    seen: Arc<Mutex<Vec<(String, Fault)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultyBackend {
    /// Listens on a free port in front of the real server at `upstream`.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (fault, seen) = (Arc::new(Mutex::new(Fault::None)), Arc::default());
        let client = reqwest::Client::new();
        let upstream = upstream.to_string();
        let task = tokio::spawn({
            let (fault, seen) = (Arc::clone(&fault), Arc::clone(&seen));
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let fault = *fault.lock().unwrap();
                    let (client, upstream, seen) = (client.clone(), upstream.clone(), Arc::clone(&seen));
                    tokio::spawn(answer(stream, fault, client, upstream, seen));
                }
            }
        });
        FaultyBackend { url, fault, seen, task }
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    /// How many requests to `path` got `fault`.
    pub fn count(&self, path: &str, fault: Fault) -> usize {
        self.seen.lock().unwrap().iter().filter(|(request, f)| request.ends_with(path) && *f == fault).count()
    }

    /// Waits (up to 15 s) until a request to `path` got `fault`.
    pub async fn wait_for(&self, path: &str, fault: Fault) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while self.count(path, fault) == 0 {
            assert!(tokio::time::Instant::now() < deadline, "no request to {path} got {fault:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for FaultyBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A request as read off the wire: its first line, headers and body.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next()?.split_whitespace();
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let length = headers.iter().find(|(name, _)| name == "content-length").and_then(|(_, v)| v.parse().ok());
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length.unwrap_or(0) {
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Request { method, path, headers, body })
}

/// The real server's answer to `request`, as bytes to send back.
async fn pass_through(client: &reqwest::Client, upstream: &str, request: Request) -> Vec<u8> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
    let mut call = client.request(method, format!("{upstream}{}", request.path)).body(request.body);
    for (name, value) in &request.headers {
        if matches!(name.as_str(), "authorization" | "content-type") {
            call = call.header(name, value);
        }
    }
    let Ok(response) = call.send().await else { return b"HTTP/1.1 502 Bad Gateway\r\n\r\n".to_vec() };
    let status = response.status();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = response.bytes().await.unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

async fn answer(
    mut stream: TcpStream,
    fault: Fault,
    client: reqwest::Client,
    upstream: String,
    seen: Arc<Mutex<Vec<(String, Fault)>>>,
) {
    let Some(request) = read_request(&mut stream).await else { return };
    seen.lock().unwrap().push((format!("{} {}", request.method, request.path), fault));
    let bytes = match fault {
        Fault::None => pass_through(&client, &upstream, request).await,
        Fault::Garbage => b"\x16\x03\x01 SSH-2.0-nope \xff\xfe\x00\r\n\r\n{{{{".to_vec(),
        Fault::CloseMidAnswer => b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n\
            {\"challenge_id\":\"half-an-ans"
            .to_vec(),
        Fault::Slow => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            pass_through(&client, &upstream, request).await
        }
        Fault::ServerError => {
            let page = "<html><body><h1>500 Internal Server Error</h1></body></html>";
            format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{page}",
                page.len()
            )
            .into_bytes()
        }
    };
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}
