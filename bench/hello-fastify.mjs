// The reference for the leaderboard benchmark: a bare Fastify hello-world, no logging, no plugins.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/hello', async () => ({ hello: 'world' }));
await app.listen({ host: process.env.HOST, port: Number(process.env.PORT) });
