import { TaskQueue } from '../taskQueue';
import { settle } from './data/settle';

/** A task that ends when the test says so. */
function deferred(): {
  task: () => Promise<void>;
  finish: () => void;
  fail: () => void;
  started: boolean;
} {
  const handle = {
    started: false,
    finish: () => undefined as void,
    fail: () => undefined as void,
    task: () => Promise.resolve()
  };
  handle.task = () =>
    new Promise<void>((resolve, reject) => {
      handle.started = true;
      handle.finish = resolve;
      handle.fail = () => reject(new Error('task failed'));
    });
  return handle;
}

const tick = () => settle(1);

describe('TaskQueue', () => {
  it('runs at most `limit` tasks at once, the rest in order as slots free', async () => {
    const queue = new TaskQueue(3);
    const tasks = Array.from({ length: 5 }, () => deferred());
    tasks.forEach((t) => queue.add(t.task));
    expect(tasks.map((t) => t.started)).toEqual([true, true, true, false, false]);
    expect(queue.active).toBe(3);
    expect(queue.pending).toBe(2);

    tasks[1]!.finish();
    await tick();
    expect(tasks.map((t) => t.started)).toEqual([true, true, true, true, false]);
    expect(queue.active).toBe(3);
  });

  it('a failing task frees its slot too', async () => {
    const queue = new TaskQueue(1);
    const [a, b] = [deferred(), deferred()];
    queue.add(a.task);
    queue.add(b.task);
    expect(b.started).toBe(false);
    a.fail();
    await tick();
    expect(b.started).toBe(true);
  });

  it('tells when it becomes idle, once per drain', async () => {
    const onIdle = jest.fn();
    const queue = new TaskQueue(2, onIdle);
    const [a, b] = [deferred(), deferred()];
    queue.add(a.task);
    queue.add(b.task);
    a.finish();
    await tick();
    expect(onIdle).not.toHaveBeenCalled();
    b.finish();
    await tick();
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('treats a limit below one as one', () => {
    const queue = new TaskQueue(0);
    const [a, b] = [deferred(), deferred()];
    queue.add(a.task);
    queue.add(b.task);
    expect([a.started, b.started]).toEqual([true, false]);
  });
});
