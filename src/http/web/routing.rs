//! Routes are declared once, in a table that both registers them and lists them: the
//! authorization matrix test fails when a route exists that it does not list.

/// `route_table! { get "/path" => handler, post "/other" => other, }` defines `routes(cfg)` and
/// `ROUTES`.
macro_rules! route_table {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
            // Fixed paths first: the router tries routes in order and matches each `{param}`
            // pattern with a regex, so a page like `/tokens` would otherwise pay for every
            // pattern listed before it. (A route only claims a request of its method, so order
            // decides nothing else.)
            $( if !$path.contains('{') {
                cfg.route($path, crate::http::route_for(stringify!($method)).to($handler));
            } )*
            $( if $path.contains('{') {
                cfg.route($path, crate::http::route_for(stringify!($method)).to($handler));
            } )*
        }

        /// Every (method, path) that `routes` registers.
        pub const ROUTES: &[(&str, &str)] = &[ $( (stringify!($method), $path) ),* ];
    };
}

pub(crate) use route_table;
