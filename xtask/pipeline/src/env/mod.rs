//! The environment the pipeline runs in: the table of external tools and how each is found ([`tools`]), the pinned
//! Go toolchains ([`toolchain`]) and TinyGo ([`tinygo`]), and installing what is missing ([`setup`]). Nothing here
//! builds a component; the stages ask it for the programs they run.

pub mod doctor;
pub mod setup;
pub mod tinygo;
pub mod toolchain;
pub mod tools;
