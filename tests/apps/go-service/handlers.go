package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func routes(pool *pgxpool.Pool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "healthy"})
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := pool.Ping(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unhealthy", "database": "unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "healthy", "database": "connected"})
	})
	mux.HandleFunc("POST /visits", func(w http.ResponseWriter, r *http.Request) {
		var count int64
		err := pool.QueryRow(r.Context(),
			`UPDATE visits SET count = count + 1 WHERE id = 1 RETURNING count`).Scan(&count)
		if err != nil {
			log.Printf("POST /visits: %v", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "database error"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]int64{"visits": count})
	})
	mux.HandleFunc("GET /visits", func(w http.ResponseWriter, r *http.Request) {
		var count int64
		if err := pool.QueryRow(r.Context(), `SELECT count FROM visits WHERE id = 1`).Scan(&count); err != nil {
			log.Printf("GET /visits: %v", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "database error"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]int64{"visits": count})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
