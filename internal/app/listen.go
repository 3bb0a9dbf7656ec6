package app

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/prometheus/exporter-toolkit/web"
)

// Listen binds every --web.listen-address before anything else starts, so
// a port already in use is the first and only error the exporter prints:
// bound late, the failure cancelled the components already running and
// each logged its own misleading "context canceled" error first. It
// returns nil for systemd socket activation and vsock addresses, which
// exporter-toolkit binds itself in Run.
func Listen(flags *web.FlagConfig) ([]net.Listener, error) {
	if flags == nil || flags.WebListenAddresses == nil || (flags.WebSystemdSocket != nil && *flags.WebSystemdSocket) {
		return nil, nil
	}
	addrs := *flags.WebListenAddresses
	for _, a := range addrs {
		if strings.HasPrefix(a, "vsock://") {
			return nil, nil
		}
	}
	var ls []net.Listener
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return nil, listenError(a, err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// listenError says which address failed and what to do about it.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s (--web.listen-address): the address is already in use, by another clari_exporter or another program; stop it or choose a free port with --web.listen-address", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s (--web.listen-address): permission denied; ports below 1024 need privileges, use a higher port such as the default :9852", addr)
	}
	return fmt.Errorf("cannot listen on %s (--web.listen-address): %w", addr, err)
}
