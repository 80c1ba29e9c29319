package telemetry

import (
	"context"
	"database/sql"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/dbconv"
)

// observePool registers the instruments of db's connection pool, read
// from sql.DBStats at each collection:
//
//   - db.client.connection.count {connection}: the open connections by
//     db.client.connection.state, idle or used;
//   - db.client.connection.max {connection}: the most the pool opens
//     (not reported when unlimited);
//   - db.client.connection.waits {wait} and
//     db.client.connection.wait_duration (s): how often a statement waited
//     for a free connection and for how long in all, since the pool was
//     opened (database/sql keeps totals, not the single waits the
//     conventions' db.client.connection.wait_time histogram wants).
//
// Each carries db.client.connection.pool.name.
func observePool(meter metric.Meter, db *sql.DB, pool string) (metric.Registration, error) {
	count, err1 := dbconv.NewClientConnectionCountObservable(meter)
	limit, err2 := dbconv.NewClientConnectionMaxObservable(meter)
	waits, err3 := meter.Int64ObservableCounter("db.client.connection.waits", metric.WithUnit("{wait}"),
		metric.WithDescription("The times a statement waited for a free connection of the pool, in all."))
	waited, err4 := meter.Float64ObservableCounter("db.client.connection.wait_duration", metric.WithUnit("s"),
		metric.WithDescription("The time statements waited for a free connection of the pool, in all."))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, err
	}
	name := semconv.DBClientConnectionPoolName(pool)
	idle := metric.WithAttributeSet(attribute.NewSet(name, semconv.DBClientConnectionStateIdle))
	used := metric.WithAttributeSet(attribute.NewSet(name, semconv.DBClientConnectionStateUsed))
	only := metric.WithAttributeSet(attribute.NewSet(name))
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := db.Stats()
		o.ObserveInt64(count.Inst(), int64(s.Idle), idle)
		o.ObserveInt64(count.Inst(), int64(s.InUse), used)
		if s.MaxOpenConnections > 0 {
			o.ObserveInt64(limit.Inst(), int64(s.MaxOpenConnections), only)
		}
		o.ObserveInt64(waits, s.WaitCount, only)
		o.ObserveFloat64(waited, s.WaitDuration.Seconds(), only)
		return nil
	}, count.Inst(), limit.Inst(), waits, waited)
}
