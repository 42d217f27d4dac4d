import { Controller, Get } from '@nestjs/common';
import { VERSION } from '../../version';

/** Lets a new client check which API generation answers it (a rolled-back gateway answers from legacy instead). */
@Controller('api/v2/meta')
export class MetaController {
  @Get()
  meta() {
    return { service: 'figway', api: 'v2', version: VERSION };
  }
}
