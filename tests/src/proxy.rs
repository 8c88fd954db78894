//! A TCP proxy on 127.0.0.1 that can lose the server's answers: the request reaches the
//! server (which commits), the device never hears back — an interrupted upload.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct FlakyProxy {
    pub addr: SocketAddr,
    drop_responses: Arc<AtomicBool>,
}

impl FlakyProxy {
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<FlakyProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let drop_responses = Arc::new(AtomicBool::new(false));
        let flag = drop_responses.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, flag.clone()));
            }
        });
        Ok(FlakyProxy {
            addr,
            drop_responses,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_drop_responses(&self, drop: bool) {
        self.drop_responses.store(drop, Ordering::SeqCst);
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, drop_responses: Arc<AtomicBool>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match server_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if drop_responses.load(Ordering::SeqCst) {
                    // The server has answered, so it has committed: cut the line now.
                    break;
                }
                if client_write.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    up.abort();
}
