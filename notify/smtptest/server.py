# A loopback SMTP server for the notify tests, on Debian's aiosmtpd
# (python3-aiosmtpd). Each accepted message is stored as one file in
# OUTDIR, prefixed by X-Test-* lines with the envelope recipients, the
# authenticated user and whether the session was encrypted.
# Usage: server.py OUTDIR MODE(no|starttls|tls) CERT KEY USER PASS PORT [login-only]
import asyncio, os, socket, ssl, sys, time
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

outdir, mode, cert, key, user, password, port = sys.argv[1:8]
login_only = sys.argv[8:] == ["login-only"]


def encrypted(server):
    t = server.transport
    return server._tls_protocol is not None or (t is not None and t.get_extra_info("ssl_object") is not None)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(outdir, "%d.eml" % time.time_ns())
        head = "X-Test-Rcpt: %s\r\nX-Test-Auth: %s\r\nX-Test-TLS: %s\r\n" % (
            ",".join(envelope.rcpt_tos),
            user if session.authenticated else "",
            "yes" if encrypted(server) else "no",
        )
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode())
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
    return AuthResult(success=ok)


async def main():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(port)))
    sock.listen(16)
    kw = dict(authenticator=authenticator, auth_required=bool(user), hostname="smtptest.localhost",
              auth_exclude_mechanism=["PLAIN"] if login_only else [])
    if mode == "starttls":
        factory = lambda: SMTP(Handler(), tls_context=ctx, require_starttls=True, auth_require_tls=True, **kw)
    else:
        # Implicit TLS is encrypted from the start; plain ("no") is for tests of the refusal paths.
        factory = lambda: SMTP(Handler(), auth_require_tls=False, **kw)
    srv = await asyncio.get_running_loop().create_server(factory, sock=sock, ssl=ctx if mode == "tls" else None)
    print("PORT %d" % sock.getsockname()[1], flush=True)
    await srv.serve_forever()


asyncio.run(main())
