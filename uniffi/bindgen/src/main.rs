//! `uniffi-bindgen`, built from the same UniFFI version as `onsite-ffi` (both take it from
//! the workspace), so the bindings it writes always match the library.
//!
//! ```sh
//! cargo run -p onsite-uniffi-bindgen -- generate --library target/debug/libonsite_ffi.so \
//!     --language kotlin --language swift --language python --out-dir bindings
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
