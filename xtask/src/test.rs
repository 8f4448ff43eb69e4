//! stub
use anyhow::Result;
use xshell::Shell;
impl crate::flags::Test {
    pub(crate) fn run(self, _sh: &Shell) -> Result<()> {
        todo!()
    }
}
