//! Integration tests of the emulator crate (one binary, one module per emulator).

mod partner_center;
