import { Controller, Get, Module, Post } from '@nestjs/common';

/** Requests that reached the module, by path: the test asks for them at /api/v2/flaky/seen. */
const seen: string[] = [];

/**
 * A v2 module for the module-fallback test: it answers /ok, and fails /fail with a 500 thrown before it writes a
 * byte (an unexpected error, as a module bug would be), on GET and on POST.
 */
@Controller('api/v2/flaky')
class FlakyController {
  @Get('ok')
  ok() {
    seen.push('GET /ok');
    return { side: 'module' };
  }

  @Get('fail')
  failGet(): never {
    seen.push('GET /fail');
    throw new Error('the flaky module failed');
  }

  @Post('fail')
  failPost(): never {
    seen.push('POST /fail');
    throw new Error('the flaky module failed');
  }

  @Get('seen')
  seen() {
    return { seen };
  }
}

@Module({ controllers: [FlakyController] })
export class FlakyModule {}
