//! stub
use anyhow::Result;
use xshell::Shell;
impl crate::flags::Check {
    pub(crate) fn run(self, _sh: &Shell) -> Result<()> {
        todo!()
    }
}
