//! e-Factura's two environments: `test` and `prod`, as ANAF's paths name them.

/// Which e-Factura environment a call goes to (the rights probe's, or the one a gateway call
/// names in its path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EfacturaEnvironment {
    Test,
    Prod,
}

impl EfacturaEnvironment {
    pub fn path(self) -> &'static str {
        match self {
            EfacturaEnvironment::Test => "test",
            EfacturaEnvironment::Prod => "prod",
        }
    }
}
