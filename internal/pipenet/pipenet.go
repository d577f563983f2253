// Package pipenet is a network in memory: a server accepts on a Listener the connections that
// clients open with its DialContext, each a net.Pipe. Unlike a loopback socket, every wait on it
// is a wait on the Go runtime, so a test in a testing/synctest bubble can serve and call over
// HTTP on the bubble's virtual clock.
package pipenet

import (
	"context"
	"net"
	"sync"
)

// Listener is a net.Listener for connections made with its DialContext.
type Listener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

// Listen returns a new Listener.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept waits for the next connection; after Close it returns net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops Accept; connections already made stay open.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr names the listener; it is no address any other network can reach.
func (l *Listener) Addr() net.Addr { return addr{} }

// DialContext opens a connection to the listener, whatever network and address say: the
// signature of http.Transport.DialContext.
func (l *Listener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		err := &net.OpError{Op: "dial", Net: "pipe", Err: net.ErrClosed}
		client.Close()
		server.Close()
		return nil, err
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: ctx.Err()}
	}
}

type addr struct{}

func (addr) Network() string { return "pipe" }
func (addr) String() string  { return "pipe" }
