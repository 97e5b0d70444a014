vcl 4.1;
# Varnish between nginx and gunicorn, as scripts/start.sh runs it (KB_HTTP_CACHE=varnish):
# a shared HTTP cache of the pages anonymous readers get, purged by tag on every content
# change (topics/http_cache.py), the way Wagtail sites put Varnish in front.
#
# What it stores: only answers the site marks as the same for every reader, that is a
# 200 with `Surrogate-Key` and `Cache-Control: public, ..., s-maxage=N` and no cookie
# (topics/page_cache.py), for N seconds (at most until the minute ends). Everything
# else (signed-in pages, forms with a CSRF token, the admin, errors, static files) is
# fetched from gunicorn every time.
# Who bypasses it: any request with a session or a pending message (sessionid,
# messages cookies), credentials, or a method other than GET and HEAD.
# Purging: `BAN /` with `X-KB-Purge: <tags>` from 127.0.0.1 (not through nginx, which
# sets X-Real-IP on every request it passes) drops every stored page whose
# Surrogate-Key holds one of the tags; `page` is on every page.
#
# start.sh fills in @GUNICORN_SOCKET@ and @FIRST_BYTE_TIMEOUT@.

backend gunicorn {
    .path = "@GUNICORN_SOCKET@";
    .first_byte_timeout = @FIRST_BYTE_TIMEOUT@s;
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (client.ip !~ purgers || req.http.X-Real-IP) {
            return (synth(405, "Not allowed"));
        }
        if (req.http.X-KB-Purge !~ "^[a-z0-9_ -]+$") {
            return (synth(400, "Name the tags to purge in X-KB-Purge"));
        }
        ban("obj.http.Surrogate-Key ~ (^|\s)(" + regsuball(req.http.X-KB-Purge, " +", "|")
            + ")(\s|$)");
        return (synth(200, "Purged"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization || req.http.Cookie ~ "(^|;)\s*(sessionid|messages)\s*=") {
        return (pass);
    }
    # An anonymous reader: no other cookie of ours (csrftoken) changes a page anyone
    # can get, and a page that needs one sets it, so it is not stored.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_hash {
    # The page Django builds depends on the scheme nginx reports (links, redirects).
    hash_data(req.http.X-Forwarded-Proto);
    # Then Varnish's own: the URL and the host.
}

sub vcl_backend_fetch {
    if (!bereq.uncacheable) {
        # Ask gunicorn to check the content version now rather than within its
        # one-second bound: what is stored right after a purge is the new page.
        set bereq.http.Cache-Control = "no-cache";
    }
}

sub vcl_backend_response {
    if (beresp.status != 200 || !beresp.http.Surrogate-Key || beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "(^|[ ,])public([ ,]|$)"
        || beresp.http.Cache-Control ~ "private|no-store") {
        # Not stored; for 10 s, requests for it go straight to gunicorn (no queueing).
        set beresp.uncacheable = true;
        set beresp.ttl = 10s;
        return (deliver);
    }
    # s-maxage gives the time to live; a purge, not a grace period, replaces a page.
    set beresp.grace = 0s;
    return (deliver);
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.Surrogate-Key;
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}
