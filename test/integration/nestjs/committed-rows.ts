import type { Observer } from '../../contract/sql/observer.js';

/** How many rows an order left in its table and in the outbox (PostgreSQL; the body's `orderId`). */
export async function committedRows(
  observer: Observer,
  ordersTable: string,
  outboxTable: string,
  id: string,
): Promise<{ orders: number; outbox: number }> {
  const [order] = await observer.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${ordersTable} WHERE id = $1`,
    [id],
  );
  const [outbox] = await observer.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${outboxTable} WHERE convert_from(body, 'UTF8')::jsonb->>'orderId' = $1`,
    [id],
  );
  return { orders: order!.n, outbox: outbox!.n };
}
