//! Routes are declared once, in a table that both registers them and lists them: the
//! authorization matrix test fails when a route exists that it does not list.

/// `route_table! { get "/path" => handler, post "/other" => other, }` defines `routes(cfg)` and
/// `ROUTES`.
macro_rules! route_table {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
            $( cfg.route($path, actix_web::web::$method().to($handler)); )*
        }

        /// Every (method, path) that `routes` registers.
        pub const ROUTES: &[(&str, &str)] = &[ $( (stringify!($method), $path) ),* ];
    };
}

pub(crate) use route_table;
