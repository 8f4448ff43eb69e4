//! stub
use anyhow::Result;
use xshell::Shell;
impl crate::flags::Dist {
    pub(crate) fn run(self, _sh: &Shell) -> Result<()> {
        todo!()
    }
}
