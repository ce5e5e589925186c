/** Number formats shared by the report's outputs. */
export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
export const per = (n: number) => fmt(n, 2);
