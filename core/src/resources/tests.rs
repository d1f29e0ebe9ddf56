//! Tests of the resource layer. Network use is confined to servers these tests start on
//! 127.0.0.1 and 127.0.0.2.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::testserver::{Reply, Server};
use super::*;

fn opts() -> ResourceOptions {
    ResourceOptions {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(10),
        retry_backoff: Duration::from_millis(10),
        ..ResourceOptions::default()
    }
}

fn allow(hosts: &[&str]) -> ResourceOptions {
    ResourceOptions {
        allow_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        ..opts()
    }
}

fn resolver(o: &ResourceOptions) -> Resolver {
    Resolver::new(o).unwrap()
}

fn kind(r: Result<impl std::fmt::Debug, ResourceError>) -> ResourceErrorKind {
    r.unwrap_err().kind()
}

/// A PNG file that is only its signature and IHDR chunk.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]); // depth, colour, ..., CRC (unchecked)
    v
}

/// A JPEG that is SOI, one APP0 segment and SOF0.
fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00];
    v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    v
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

// ---- classifier -------------------------------------------------------------------------

#[test]
fn classify_every_class() {
    use AddressClass::*;
    let cases = [
        ("8.8.8.8", Public),
        ("1.1.1.1", Public),
        ("172.32.0.1", Public),
        ("100.128.0.1", Public),
        ("127.0.0.1", Loopback),
        ("127.255.255.254", Loopback),
        ("10.0.0.5", Private),
        ("172.16.0.1", Private),
        ("172.31.255.255", Private),
        ("192.168.1.1", Private),
        ("169.254.169.254", LinkLocal),
        ("100.64.0.1", Cgnat),
        ("100.127.255.255", Cgnat),
        ("224.0.0.1", Multicast),
        ("239.255.255.250", Multicast),
        ("0.0.0.0", Unspecified),
        ("255.255.255.255", Broadcast),
        ("192.0.2.1", Documentation),
        ("198.51.100.7", Documentation),
        ("203.0.113.9", Documentation),
        ("0.1.2.3", Reserved),
        ("240.0.0.1", Reserved),
        ("198.18.0.1", Reserved),
        ("192.0.0.8", Reserved),
        ("2606:4700:4700::1111", Public),
        ("2001:4860:4860::8888", Public),
        ("::1", Loopback),
        ("::", Unspecified),
        ("fc00::1", Private),
        ("fd12:3456::1", Private),
        ("fec0::1", Private),
        ("fe80::1", LinkLocal),
        ("febf::1", LinkLocal),
        ("ff02::1", Multicast),
        ("2001:db8::1", Documentation),
        ("2001::1", Reserved),
        ("100::1", Reserved),
        ("::2", Reserved),
        ("4000::1", Reserved),
        // IPv4 inside IPv6 takes the IPv4 class.
        ("::ffff:10.0.0.1", Private),
        ("::ffff:127.0.0.1", Loopback),
        ("::ffff:169.254.169.254", LinkLocal),
        ("::ffff:8.8.8.8", Public),
        ("::ffff:0:10.0.0.1", Private),
        ("64:ff9b::10.0.0.1", Private),
        ("64:ff9b::127.0.0.1", Loopback),
        ("64:ff9b::8.8.8.8", Public),
        ("64:ff9b:1::1", Private),
        ("2002:0a00:0001::1", Private),
        ("2002:7f00:0001::1", Loopback),
        ("2002:0808:0808::1", Public),
    ];
    for (addr, class) in cases {
        assert_eq!(classify(ip(addr)), class, "{addr}");
    }
    assert!(AddressClass::Public.is_public());
    assert!(!AddressClass::Cgnat.is_public());
}

#[test]
fn refusal_message_is_one_line() {
    let r = resolver(&opts());
    let e = r.locate("http://10.0.0.5/a.png", None).unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Refused);
    assert_eq!(
        e.to_string(),
        "refused: private address 10.0.0.5; see --allow-host"
    );
    for url in [
        "http://127.0.0.1/x",
        "http://[::1]/x",
        "http://[::ffff:10.0.0.1]/x",
        "http://[::ffff:7f00:1]/x",
        "http://[64:ff9b::a00:1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/x",
        "http://0.0.0.0/x",
        "http://0x7f.1/x", // the URL parser normalises odd IPv4 forms
        "http://2130706433/x",
        "https://[fe80::1]/x",
    ] {
        let e = r.locate(url, None).unwrap_err();
        assert_eq!(e.kind(), ResourceErrorKind::Refused, "{url}: {e}");
        assert!(!e.to_string().contains('\n'));
    }
    // Allowed addresses still never include unspecified or multicast.
    let r = resolver(&allow(&["0.0.0.0/0"]));
    assert_eq!(
        kind(r.locate("http://0.0.0.0/x", None)),
        ResourceErrorKind::Refused
    );
    assert!(r.locate("http://10.1.2.3/x", None).is_ok());
}

#[test]
fn options_are_checked() {
    for bad in [
        "http://x",
        "10.0.0.0/33",
        "a b",
        "",
        "::1/129",
        "x/8",
        "host:80",
    ] {
        let e = Resolver::new(&allow(&[bad])).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Options, "{bad}");
    }
    assert!(
        Resolver::new(&allow(&[
            "files.internal",
            "10.0.0.0/8",
            "::1",
            "[fd00::]/8"
        ]))
        .is_ok()
    );
    for bad in ["localhost:8080", "ftp://x", "http://", "http://h/?q=1"] {
        let o = ResourceOptions {
            hostname: Some(bad.into()),
            ..opts()
        };
        assert_eq!(
            Resolver::new(&o).unwrap_err().kind(),
            crate::ErrorKind::Options,
            "{bad}"
        );
    }
    let o = ResourceOptions {
        upload_dir: Some("/nonexistent/exportkit".into()),
        ..opts()
    };
    assert_eq!(
        Resolver::new(&o).unwrap_err().kind(),
        crate::ErrorKind::Options
    );
    let o = ResourceOptions {
        token: Some("abc\r\nX-Evil: 1".into()),
        ..opts()
    };
    assert_eq!(
        Resolver::new(&o).unwrap_err().kind(),
        crate::ErrorKind::Options
    );
    let o = ResourceOptions {
        token: Some("secret".into()),
        ..opts()
    };
    assert!(!format!("{o:?}").contains("secret"));
}

#[test]
fn resolver_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Resolver>();
}

// ---- downloads and the address policy ---------------------------------------------------

#[test]
fn loopback_download_refused_by_default_and_allowed_by_entry() {
    let server = Server::start("127.0.0.1", |_, _| Reply::ok("hello"));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.txt");

    let r = resolver(&opts());
    let e = r.fetch_to(&server.url("/a.txt"), None, &dest).unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Refused);
    assert!(
        e.to_string()
            .contains("loopback address 127.0.0.1; see --allow-host"),
        "{e}"
    );
    // A name that resolves to loopback is refused by the client's resolver, before connecting.
    let by_name = format!("http://localhost:{}/a.txt", server.port());
    assert_eq!(
        kind(r.fetch_to(&by_name, None, &dest)),
        ResourceErrorKind::Refused
    );
    assert_eq!(server.hits(), 0);
    assert!(!dest.exists());

    let r = resolver(&allow(&["127.0.0.1"]));
    assert_eq!(r.fetch_to(&server.url("/a.txt"), None, &dest).unwrap(), 5);
    assert_eq!(std::fs::read(&dest).unwrap(), b"hello");
    let r = resolver(&allow(&["localhost"]));
    assert_eq!(
        r.fetch_to(&by_name, None, &dir.path().join("b")).unwrap(),
        5
    );
    let r = resolver(&allow(&["127.0.0.0/8"]));
    assert_eq!(
        r.fetch_to(&server.url("/c"), None, &dir.path().join("c"))
            .unwrap(),
        5
    );
}

#[test]
fn redirect_to_a_refused_address_is_refused() {
    let inner = Server::start("127.0.0.1", |_, _| Reply::ok("secret"));
    let (literal, named) = (
        inner.url("/x"),
        format!("http://localhost:{}/x", inner.port()),
    );
    let outer = Server::start("127.0.0.2", move |req, _| match req.path.as_str() {
        "/literal" => Reply::redirect(&literal),
        "/named" => Reply::redirect(&named),
        "/file" => Reply::redirect("file:///etc/passwd"),
        _ => Reply::ok("fine"),
    });
    let r = resolver(&allow(&["127.0.0.2"]));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    assert_eq!(r.fetch_to(&outer.url("/ok"), None, &dest).unwrap(), 4);
    for path in ["/literal", "/named", "/file"] {
        let e = r
            .fetch_to(&outer.url(path), None, &dir.path().join("x"))
            .unwrap_err();
        assert_eq!(e.kind(), ResourceErrorKind::Refused, "{path}: {e}");
    }
    assert_eq!(inner.hits(), 0);
    assert!(!dir.path().join("x").exists());
}

#[test]
fn redirects_are_bounded() {
    let server = Server::start("127.0.0.1", |req, _| match req.path.as_str() {
        "/loop" => Reply::redirect("/loop"),
        "/r1" => Reply::redirect("/r2"),
        "/r2" => Reply::redirect("/done"),
        _ => Reply::ok("done"),
    });
    let r = resolver(&allow(&["127.0.0.1"]));
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        r.fetch_to(&server.url("/r1"), None, &dir.path().join("a"))
            .unwrap(),
        4
    );
    let before = server.hits();
    let e = r
        .fetch_to(&server.url("/loop"), None, &dir.path().join("b"))
        .unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Http(302), "{e}");
    assert!(e.to_string().contains("more than 5 redirects"), "{e}");
    assert_eq!(server.hits() - before, 6);
    let r = resolver(&ResourceOptions {
        max_redirects: 1,
        ..allow(&["127.0.0.1"])
    });
    assert_eq!(
        kind(r.fetch_to(&server.url("/r1"), None, &dir.path().join("c"))),
        ResourceErrorKind::Http(302)
    );
}

#[test]
fn size_limit_stops_the_download_and_leaves_nothing() {
    let body = vec![7u8; 2 * 1024 * 1024];
    let server = Server::start("127.0.0.1", move |req, _| match req.path.as_str() {
        "/sized" => Reply::ok(body.clone()),
        _ => Reply::Unsized(body.clone()),
    });
    let r = resolver(&ResourceOptions {
        max_bytes: 1024 * 1024,
        ..allow(&["127.0.0.1"])
    });
    let dir = tempfile::tempdir().unwrap();
    for path in ["/sized", "/unsized"] {
        let dest = dir.path().join("big.bin");
        let e = r.fetch_to(&server.url(path), None, &dest).unwrap_err();
        assert_eq!(e.kind(), ResourceErrorKind::TooLarge, "{path}: {e}");
        assert!(!dest.exists());
        assert!(!dir.path().join("big.bin.partial").exists());
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let r = resolver(&ResourceOptions {
        max_bytes: 2 * 1024 * 1024,
        ..allow(&["127.0.0.1"])
    });
    let dest = dir.path().join("ok.bin");
    assert_eq!(
        r.fetch_to(&server.url("/unsized"), None, &dest).unwrap(),
        2 * 1024 * 1024
    );
}

#[test]
fn a_silent_server_times_out() {
    let server = Server::start("127.0.0.1", |_, _| Reply::Hang(Duration::from_secs(4)));
    let r = resolver(&ResourceOptions {
        timeout: Duration::from_millis(500),
        ..allow(&["127.0.0.1"])
    });
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let e = r
        .fetch_to(&server.url("/slow"), None, &dir.path().join("x"))
        .unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.hits(), 1, "a read timeout is not retried");
}

#[test]
fn transient_failures_are_retried_and_404_is_not() {
    let server = Server::start("127.0.0.1", |req, _| match req.path.as_str() {
        "/missing" => Reply::status(404),
        "/down" => Reply::status(500),
        _ => Reply::ok("ok"),
    });
    let flaky = Server::start("127.0.0.1", |_, n| {
        if n < 2 {
            Reply::status(503)
        } else {
            Reply::ok("finally")
        }
    });
    let throttled = Server::start("127.0.0.1", |_, n| {
        if n == 0 {
            Reply::status(429)
        } else {
            Reply::ok("ok")
        }
    });
    let r = resolver(&allow(&["127.0.0.1"]));
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        r.fetch_to(&flaky.url("/x"), None, &dir.path().join("a"))
            .unwrap(),
        7
    );
    assert_eq!(flaky.hits(), 3);
    assert_eq!(
        r.fetch_to(&throttled.url("/x"), None, &dir.path().join("t"))
            .unwrap(),
        2
    );
    assert_eq!(throttled.hits(), 2);

    let e = r
        .fetch_to(&server.url("/missing"), None, &dir.path().join("b"))
        .unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Http(404));
    assert_eq!(server.hits(), 1);
    let e = r
        .fetch_to(&server.url("/down"), None, &dir.path().join("c"))
        .unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Http(500));
    assert_eq!(server.hits(), 1 + 4, "3 retries after the first try");
    assert!(!dir.path().join("b").exists() && !dir.path().join("c").exists());
}

#[test]
fn connection_refused_is_retried_then_fails() {
    // Find a free port on 127.0.0.1 and leave it closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = resolver(&ResourceOptions {
        retries: 2,
        ..allow(&["127.0.0.1"])
    });
    let dir = tempfile::tempdir().unwrap();
    let e = r
        .fetch_to(
            &format!("http://127.0.0.1:{port}/x"),
            None,
            &dir.path().join("x"),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Io, "{e}");
    assert!(e.is_transient());
}

#[test]
fn token_goes_only_to_the_label_studio_host() {
    let other = Server::start("127.0.0.2", |_, _| Reply::ok("elsewhere"));
    let other_url = other.url("/object");
    let ls = Server::start("127.0.0.1", move |req, _| {
        if req.path.starts_with("/tasks/") {
            Reply::redirect(&other_url)
        } else {
            Reply::ok("upload")
        }
    });
    let r = resolver(&ResourceOptions {
        hostname: Some(ls.url("/")),
        token: Some("s3cret".into()),
        allow_hosts: vec!["127.0.0.2".into()],
        ..opts()
    });
    let dir = tempfile::tempdir().unwrap();
    // The hostname's host is allowed implicitly; uploads come from it with the token.
    assert_eq!(
        r.locate("/data/upload/3/a%20b.png", None).unwrap(),
        Source::Remote {
            url: ls.url("/data/upload/3/a%20b.png"),
            auth: true
        }
    );
    r.fetch_to("/data/upload/3/a%20b.png", None, &dir.path().join("u"))
        .unwrap();
    // A cloud URI is presigned by Label Studio, which redirects to another host.
    r.fetch_to("s3://bucket/key.png", Some("42"), &dir.path().join("c"))
        .unwrap();
    // A direct URL to the other host gets no token.
    assert_eq!(
        r.locate(&other.url("/direct"), None).unwrap(),
        Source::Remote {
            url: other.url("/direct"),
            auth: false
        }
    );
    r.fetch_to(&other.url("/direct"), None, &dir.path().join("d"))
        .unwrap();

    let ls_reqs = ls.requests();
    assert_eq!(ls_reqs.len(), 2);
    assert!(
        ls_reqs
            .iter()
            .all(|q| q.header("authorization") == Some("Token s3cret"))
    );
    assert_eq!(
        ls_reqs[1].path,
        format!(
            "/tasks/42/presign/?fileuri={}",
            locate::base64_urlsafe(b"s3://bucket/key.png")
        )
    );
    let other_reqs = other.requests();
    assert_eq!(other_reqs.len(), 2);
    assert!(
        other_reqs
            .iter()
            .all(|q| q.header("authorization").is_none())
    );

    // Bearer tokens are sent as given.
    let r = resolver(&ResourceOptions {
        hostname: Some(ls.url("")),
        token: Some("Bearer jwt".into()),
        ..opts()
    });
    r.fetch_to("/data/upload/3/x.png", None, &dir.path().join("b"))
        .unwrap();
    assert_eq!(ls.requests()[2].header("authorization"), Some("Bearer jwt"));
}

#[test]
fn one_url_is_downloaded_once() {
    let image = png(3, 2);
    let server = Server::start("127.0.0.1", move |_, _| Reply::ok(image.clone()));
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(&ResourceOptions {
        cache_dir: Some(cache.path().to_owned()),
        ..allow(&["127.0.0.1"])
    });
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/img.png");
    assert_eq!(r.image_size(&url, None).unwrap(), (3, 2));
    let n1 = r.fetch_to(&url, None, &dir.path().join("a.png")).unwrap();
    let n2 = r
        .fetch_to(&url, None, &dir.path().join("sub/b.png"))
        .unwrap();
    assert_eq!((n1, n2), (33, 33));
    assert_eq!(
        std::fs::read(dir.path().join("sub/b.png")).unwrap(),
        png(3, 2)
    );
    assert_eq!(server.hits(), 1);
    // Again to the same place: replaced, nothing left beside it.
    r.fetch_to(&url, None, &dir.path().join("a.png")).unwrap();
    assert!(!dir.path().join("a.png.partial").exists());
    // Concurrent requests for one URL wait for the first download.
    let other = server.url("/other.png");
    let jobs: Vec<_> = (0..8)
        .map(|i| FetchJob {
            url: other.clone(),
            task_id: None,
            dest: dir.path().join(format!("o{i}.png")),
        })
        .collect();
    assert!(fetch_all(&r, jobs, 8).iter().all(Result::is_ok));
    assert_eq!(server.hits(), 2);
    drop(r);
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "cache removed"
    );
    assert!(dir.path().join("a.png").exists());
}

#[test]
fn fetch_all_keeps_job_order() {
    let server = Server::start("127.0.0.1", |req, _| {
        let n: usize = req.path.trim_start_matches("/f").parse().unwrap_or(0);
        std::thread::sleep(Duration::from_millis(((16 - n) * 3) as u64));
        if n == 5 {
            Reply::status(404)
        } else {
            Reply::ok(vec![b'x'; n + 1])
        }
    });
    let r = resolver(&allow(&["127.0.0.1"]));
    let dir = tempfile::tempdir().unwrap();
    let jobs: Vec<_> = (0..16)
        .map(|i| FetchJob {
            url: server.url(&format!("/f{i}")),
            task_id: None,
            dest: dir.path().join(format!("{i}.bin")),
        })
        .collect();
    let results = fetch_all(&r, jobs, 4);
    assert_eq!(results.len(), 16);
    for (i, result) in results.iter().enumerate() {
        if i == 5 {
            assert_eq!(
                result.as_ref().unwrap_err().kind(),
                ResourceErrorKind::Http(404)
            );
        } else {
            assert_eq!(*result.as_ref().unwrap(), i as u64 + 1, "job {i}");
        }
    }
    assert_eq!(server.hits(), 16);
    assert!(fetch_all(&r, Vec::new(), 4).is_empty());
}

// ---- local files ------------------------------------------------------------------------

struct Tree {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    uploads: std::path::PathBuf,
    outside: std::path::PathBuf,
}

fn tree() -> Tree {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let uploads = tmp.path().join("media/upload");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::create_dir_all(uploads.join("7")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(root.join("a/b.png"), png(5, 4)).unwrap();
    std::fs::write(root.join("a/c d.jpg"), jpeg(640, 480)).unwrap();
    std::fs::write(uploads.join("7/x.png"), png(1, 1)).unwrap();
    std::fs::write(outside.join("secret"), "secret").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.join("secret"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("dirlink")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), uploads.join("7/link.png")).unwrap();
        std::os::unix::fs::symlink(root.join("a/b.png"), root.join("inner.png")).unwrap();
    }
    Tree {
        _tmp: tmp,
        root,
        uploads,
        outside,
    }
}

fn local_resolver(t: &Tree) -> Resolver {
    resolver(&ResourceOptions {
        local_files_root: Some(t.root.clone()),
        upload_dir: Some(t.uploads.clone()),
        ..opts()
    })
}

#[test]
fn local_files_stay_inside_their_root() {
    let t = tree();
    let r = local_resolver(&t);
    let refused = [
        "/data/local-files/?d=../outside/secret",
        "/data/local-files/?d=a/../../outside/secret",
        "/data/local-files/?d=%2e%2e/outside/secret",
        "/data/local-files/?d=%2E%2E%2Foutside%2Fsecret",
        "/data/local-files/?d=a%2f..%2f..%2foutside%2fsecret",
        "/data/local-files/?d=..%5coutside%5csecret",
        "/data/local-files/?d=/etc/passwd",
        "/data/local-files/?d=%2fetc%2fpasswd",
        "/data/local-files/?d=a/b.png%00.txt",
        "/data/local-files/?d=a/b.png\0",
        "/data/local-files/?d=C:/Windows/win.ini",
        "/data/upload/7/..%2f..%2f..%2foutside%2fsecret",
        "/data/upload/7/..",
        "/data/upload/7/sub/x.png",
        "/data/upload/../7/x.png",
        "/data/upload/7a/x.png",
        "/data/upload//x.png",
        "upload/7/%2e%2e",
    ];
    for url in refused {
        let e = r.locate(url, None).unwrap_err();
        assert_eq!(e.kind(), ResourceErrorKind::Refused, "{url}: {e}");
    }
    #[cfg(unix)]
    for url in [
        "/data/local-files/?d=link",
        "/data/local-files/?d=dirlink/secret",
        "/data/upload/7/link.png",
    ] {
        let e = r.locate(url, None).unwrap_err();
        assert_eq!(e.kind(), ResourceErrorKind::Refused, "{url}: {e}");
        assert!(e.to_string().contains("symlink"), "{e}");
    }
    assert_eq!(
        kind(r.locate("/data/local-files/?d=a/missing.png", None)),
        ResourceErrorKind::NotFound
    );
    assert_eq!(
        kind(r.locate("/data/local-files/?d=a", None)),
        ResourceErrorKind::Unsupported
    );

    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out/b.png");
    assert_eq!(
        r.fetch_to("/data/local-files/?d=a/b.png", None, &dest)
            .unwrap(),
        33
    );
    assert_eq!(std::fs::read(&dest).unwrap(), png(5, 4));
    assert!(!dir.path().join("out/b.png.partial").exists());
    assert_eq!(
        r.locate("/data/local-files/?d=a%2Fc%20d.jpg", None)
            .unwrap(),
        Source::Local(t.root.canonicalize().unwrap().join("a/c d.jpg"))
    );
    assert!(
        r.fetch_to("/data/upload/7/x.png", None, &dir.path().join("x.png"))
            .is_ok()
    );
    assert!(
        r.fetch_to("upload/7/x.png", None, &dir.path().join("y.png"))
            .is_ok()
    );
    #[cfg(unix)]
    assert!(
        r.locate("/data/local-files/?d=inner.png", None).is_ok(),
        "symlink inside the root"
    );
    assert!(std::fs::read(t.outside.join("secret")).is_ok());
}

#[test]
fn absolute_paths_need_an_allowed_root() {
    let t = tree();
    let file = t.root.join("a/b.png");
    let file_str = file.to_str().unwrap();
    let r = resolver(&opts());
    let e = r.locate(file_str, None).unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Refused);
    assert!(e.to_string().contains("--allow-root"), "{e}");
    assert_eq!(
        kind(r.locate("/etc/passwd", None)),
        ResourceErrorKind::Refused
    );
    assert_eq!(
        kind(r.locate("file:///etc/passwd", None)),
        ResourceErrorKind::Refused
    );

    let r = resolver(&ResourceOptions {
        allowed_roots: vec![t.root.clone()],
        ..opts()
    });
    assert!(matches!(
        r.locate(file_str, None).unwrap(),
        Source::Local(_)
    ));
    assert!(r.locate(&format!("file://{file_str}"), None).is_ok());
    let escape = format!("{}/../outside/secret", t.root.display());
    assert_eq!(kind(r.locate(&escape, None)), ResourceErrorKind::Refused);
    #[cfg(unix)]
    assert_eq!(
        kind(r.locate(&format!("{}/link", t.root.display()), None)),
        ResourceErrorKind::Refused
    );
    assert_eq!(
        kind(r.locate(&format!("{}/nope.png", t.root.display()), None)),
        ResourceErrorKind::NotFound
    );
}

#[test]
fn label_studio_paths_without_a_dir_need_the_hostname() {
    let r = resolver(&opts());
    let e = r.locate("/data/upload/1/x.png", None).unwrap_err();
    assert_eq!(e.kind(), ResourceErrorKind::Unsupported);
    assert_eq!(
        e.to_string(),
        "unsupported: no --upload-dir and no --hostname for /data/upload/1/x.png"
    );
    let e = r.locate("/data/local-files/?d=a/b.png", None).unwrap_err();
    assert!(
        e.to_string()
            .contains("no --local-files-root and no --hostname"),
        "{e}"
    );
    assert_eq!(
        kind(r.locate("s3://b/k.png", Some("1"))),
        ResourceErrorKind::Unsupported
    );
    // Traversal is refused before any URL is built.
    assert_eq!(
        kind(r.locate("/data/local-files/?d=../x", None)),
        ResourceErrorKind::Refused
    );

    let r = resolver(&ResourceOptions {
        hostname: Some("https://ls.example.com/".into()),
        token: Some("t".into()),
        ..opts()
    });
    let remote = |url: &str, auth| Source::Remote {
        url: url.to_owned(),
        auth,
    };
    assert_eq!(
        r.locate("/data/upload/1/x.png?v=2", None).unwrap(),
        remote("https://ls.example.com/data/upload/1/x.png", true)
    );
    assert_eq!(
        r.locate("/data/local-files/?d=a/b.png", None).unwrap(),
        remote("https://ls.example.com/data/local-files/?d=a/b.png", true)
    );
    assert_eq!(
        r.locate("gs://bucket/a.jpg", Some("17")).unwrap(),
        remote(
            &format!(
                "https://ls.example.com/tasks/17/presign/?fileuri={}",
                locate::base64_urlsafe(b"gs://bucket/a.jpg")
            ),
            true
        )
    );
    assert_eq!(
        kind(r.locate("azure-blob://c/a.jpg", None)),
        ResourceErrorKind::Unsupported
    );
    // Only the two Label Studio path shapes are fetched from it with the token.
    for url in [
        "/data/local-files/../../api/projects?d=x",
        "/data/local-filesX?d=a.png",
        "/data/upload/1/../../../api/projects",
    ] {
        assert!(r.locate(url, None).is_err(), "{url}");
    }
    assert_eq!(
        kind(r.locate("s3://b/k", Some("1/../../api"))),
        ResourceErrorKind::Unsupported
    );
    assert_eq!(
        r.locate("https://cdn.example.org/a.png", None).unwrap(),
        remote("https://cdn.example.org/a.png", false)
    );
    assert_eq!(
        r.locate("http://ls.example.com/a.png", None).unwrap(),
        remote("http://ls.example.com/a.png", false),
        "another scheme is another origin"
    );
    for url in [
        "ftp://x/a",
        "data:image/png;base64,AAAA",
        "images/a.png",
        "",
        "C:\\x.png",
    ] {
        assert_eq!(
            kind(r.locate(url, None)),
            ResourceErrorKind::Unsupported,
            "{url:?}"
        );
    }
}

#[test]
fn cloud_hook_maps_uris() {
    let o = ResourceOptions {
        cloud_hook: Some(Arc::new(|uri: &str| {
            uri.strip_prefix("s3://")
                .map(|k| format!("https://s3.example.com/{k}"))
        })),
        ..opts()
    };
    let r = resolver(&o);
    assert_eq!(
        r.locate("s3://bucket/k.png", None).unwrap(),
        Source::Remote {
            url: "https://s3.example.com/bucket/k.png".into(),
            auth: false
        }
    );
    assert_eq!(
        kind(r.locate("gs://bucket/k.png", None)),
        ResourceErrorKind::Unsupported
    );
    let o = ResourceOptions {
        cloud_hook: Some(Arc::new(|_: &str| {
            Some("http://169.254.169.254/".to_owned())
        })),
        ..opts()
    };
    assert_eq!(
        kind(resolver(&o).locate("s3://b/k", None)),
        ResourceErrorKind::Refused
    );
}

// ---- image sizes ------------------------------------------------------------------------

#[test]
fn image_size_reads_headers_only() {
    let t = tree();
    let r = local_resolver(&t);
    assert_eq!(
        r.image_size("/data/local-files/?d=a/b.png", None).unwrap(),
        (5, 4)
    );
    assert_eq!(
        r.image_size("/data/local-files/?d=a/c%20d.jpg", None)
            .unwrap(),
        (640, 480)
    );
    std::fs::write(t.root.join("huge.png"), png(100_000, 100_000)).unwrap();
    assert_eq!(
        r.image_size("/data/local-files/?d=huge.png", None).unwrap(),
        (100_000, 100_000)
    );
    std::fs::write(t.root.join("text.png"), "not an image").unwrap();
    assert_eq!(
        kind(r.image_size("/data/local-files/?d=text.png", None)),
        ResourceErrorKind::Unsupported
    );
    std::fs::write(t.root.join("cut.png"), &png(1, 1)[..12]).unwrap();
    assert!(r.image_size("/data/local-files/?d=cut.png", None).is_err());
    assert_eq!(
        kind(r.image_size("/data/local-files/?d=../x.png", None)),
        ResourceErrorKind::Refused
    );
}

#[test]
fn base64_matches_python() {
    assert_eq!(locate::base64_urlsafe(b""), "");
    assert_eq!(locate::base64_urlsafe(b"f"), "Zg==");
    assert_eq!(locate::base64_urlsafe(b"fo"), "Zm8=");
    assert_eq!(locate::base64_urlsafe(b"foo"), "Zm9v");
    assert_eq!(
        locate::base64_urlsafe(b"s3://bucket/a.jpg"),
        "czM6Ly9idWNrZXQvYS5qcGc="
    );
    assert_eq!(locate::base64_urlsafe(&[0xfb, 0xff]), "-_8=");
}

// ---- properties -------------------------------------------------------------------------

fn prefixed() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec![
        "",
        "/data/upload/",
        "/data/upload/1/",
        "upload/",
        "/data/local-files/?d=",
        "/data/local-files",
        "http://",
        "https://[",
        "http://127.0.0.1:1/",
        "s3://",
        "gs://b/",
        "azure-blob://",
        "file://",
        "file:///",
        "/",
        "%",
    ]);
    (prefix, any::<String>()).prop_map(|(p, s)| format!("{p}{s}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn locate_never_panics(url in prefixed(), task in proptest::option::of(any::<String>())) {
        let t = tree();
        let with_roots = resolver(&ResourceOptions {
            local_files_root: Some(t.root.clone()),
            upload_dir: Some(t.uploads.clone()),
            allowed_roots: vec![t.root.clone()],
            ..opts()
        });
        let with_host = resolver(&ResourceOptions {
            hostname: Some("http://ls.example.com:8080/sub".into()),
            token: Some("t".into()),
            ..opts()
        });
        for r in [&with_roots, &with_host] {
            if let Ok(Source::Local(p)) = r.locate(&url, task.as_deref()) {
                prop_assert!(p.starts_with(t.root.canonicalize().unwrap())
                    || p.starts_with(t.uploads.canonicalize().unwrap()), "{p:?}");
            }
        }
    }

    #[test]
    fn image_headers_never_panic(prefix in prop::sample::select(vec![
        png(1, 1)[..8].to_vec(), vec![0xFF, 0xD8, 0xFF], b"GIF89a".to_vec(), b"RIFF".to_vec(),
        b"II*\0".to_vec(), b"\0\0\0\x0cftypheic".to_vec(), b"FORM\0\0\0\0ILBM".to_vec(),
    ]), tail in prop::collection::vec(any::<u8>(), 0..256)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("img");
        std::fs::write(&path, [prefix, tail].concat()).unwrap();
        let _ = image::header_size(Path::new(&path));
    }
}
