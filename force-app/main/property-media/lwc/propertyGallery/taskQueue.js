/**
 * Runs asynchronous tasks with at most `limit` of them in flight; the rest wait in order. Twenty
 * dropped photos then hash and upload three at a time instead of competing for the network (and
 * for memory: each hash reads its whole file).
 */
export class TaskQueue {
    waiting = [];
    running = 0;
    limit;
    onIdle;
    /** @param onIdle called whenever the last running task ends with nothing waiting. */
    constructor(limit, onIdle) {
        this.limit = Math.max(1, limit);
        this.onIdle = onIdle;
    }
    /** Tasks started and not finished. */
    get active() {
        return this.running;
    }
    /** Tasks not started yet. */
    get pending() {
        return this.waiting.length;
    }
    /** Queues a task. It must not reject: a task reports its own failure. */
    add(task) {
        this.waiting.push(task);
        this.next();
    }
    next() {
        while (this.running < this.limit && this.waiting.length > 0) {
            const task = this.waiting.shift();
            this.running += 1;
            task()
                .catch(() => undefined)
                .finally(() => {
                this.running -= 1;
                this.next();
                if (this.running === 0 && this.waiting.length === 0)
                    this.onIdle?.();
            });
        }
    }
}
