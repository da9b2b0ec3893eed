//! Entry point of the PWA: mounts the app (all code lives in the library).

fn main() {
    showroom_app::start();
}
