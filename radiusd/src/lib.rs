//! RADIUS for smartx: the packet codec (`packet`) and, later, the server.
pub mod packet;
