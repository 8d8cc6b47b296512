//! Reading a request body with a running cap: chunks are taken from the
//! stream only while the total stays within the limit, so a body without
//! `Content-Length` (chunked) can never make the Worker buffer more than
//! the limit before refusing it.

use futures_util::{Stream, StreamExt};

use crate::service::error::ApiError;

/// The whole body if it is at most `limit` bytes; 413 as soon as a chunk
/// would pass the limit (the rest is never read). A stream error is a 400.
pub async fn read_capped<S, E>(stream: S, limit: usize) -> Result<Vec<u8>, ApiError>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::invalid_input("body", "the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::block_on;
    use std::cell::Cell;

    #[test]
    fn stops_reading_at_the_limit() {
        let pulled = Cell::new(0);
        let chunks = futures_util::stream::iter((0..1000).map(|_| Ok::<_, ()>(vec![7u8; 1024])))
            .inspect(|_| pulled.set(pulled.get() + 1));
        let e = block_on(read_capped(chunks, 4096)).unwrap_err();
        assert_eq!(e.status, 413);
        assert_eq!(
            pulled.get(),
            5,
            "read up to the chunk that passed the limit, no further"
        );

        let small = futures_util::stream::iter([Ok::<_, ()>(b"ab".to_vec()), Ok(b"c".to_vec())]);
        assert_eq!(block_on(read_capped(small, 3)).unwrap(), b"abc");
        let broken = futures_util::stream::iter([Ok(b"ab".to_vec()), Err(())]);
        assert_eq!(block_on(read_capped(broken, 3)).unwrap_err().status, 400);
    }
}
