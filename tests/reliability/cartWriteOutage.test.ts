import { mongo } from 'mongoose';
import request from 'supertest';
import { PASSWORD, createUser, csrfFrom } from '../helpers/http';
import { cartOf, someProduct } from '../helpers/shop';
import { useTestApp } from '../helpers/testApp';

const testApp = useTestApp();

describe('the first locked write of a process meeting an outage', () => {
  it('fails with 503 and does not break later logins and cart writes', async () => {
    const user = await createUser();
    const product = await someProduct();
    const agent = request.agent(testApp().app);
    const login = () =>
      agent.get('/login').then((page) =>
        agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrfFrom(page.text), email: user.email, password: PASSWORD }),
      );
    // Before its first locked write (login throttling, carts) the app asks the server what it is
    // (FerretDB needs the lock, MongoDB does not): that question meets the outage.
    const command = jest
      .spyOn(mongo.Admin.prototype, 'command')
      .mockRejectedValueOnce(new mongo.MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'));
    const during = await login();
    expect(command).toHaveBeenCalled();
    expect(during.status).toBe(503);
    command.mockRestore();

    expect((await login()).status).toBe(302);
    const _csrf = csrfFrom((await agent.get('/products')).text);
    expect((await agent.post('/cart').type('form').send({ _csrf, productId: product.id })).status).toBe(302);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
  });
});
