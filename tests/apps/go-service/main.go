// Command visits is a small HTTP service in Go: it counts visits in PostgreSQL.
//
//	visits            serve HTTP on $PORT (8080)
//	visits migrate    apply the SQL migrations, then exit (a release's one-shot job)
//	visits health     exit 0 when the local server answers /health (a container health check)
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	log.SetFlags(0)
	command := "serve"
	if len(os.Args) > 1 {
		command = os.Args[1]
	}
	var err error
	switch command {
	case "serve":
		err = serve()
	case "migrate":
		err = migrateCommand()
	case "health":
		err = healthCommand()
	default:
		err = fmt.Errorf("unknown command %q: use serve, migrate or health", command)
	}
	if err != nil {
		log.Fatalf("visits %s: %v", command, err)
	}
}

func port() string {
	if p := os.Getenv("PORT"); p != "" {
		return p
	}
	return "8080"
}

func databaseURL() (string, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return "", fmt.Errorf("DATABASE_URL is not set: give the service the database URL (postgresql://user:password@host:5432/db)")
	}
	return url, nil
}

func connect(ctx context.Context) (*pgxpool.Pool, error) {
	url, err := databaseURL()
	if err != nil {
		return nil, err
	}
	return pgxpool.New(ctx, url)
}

func serve() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	pool, err := connect(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()

	server := &http.Server{
		Addr:              ":" + port(),
		Handler:           routes(pool),
		ReadHeaderTimeout: 5 * time.Second,
	}
	errs := make(chan error, 1)
	go func() { errs <- server.ListenAndServe() }()
	log.Printf("listening on :%s", port())
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	// Finish the requests in flight before exiting (docker stop sends SIGTERM).
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return server.Shutdown(shutdown)
}

func healthCommand() error {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port() + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/health answered %d", resp.StatusCode)
	}
	return nil
}
